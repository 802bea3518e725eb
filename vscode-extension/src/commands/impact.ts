/**
 * `kenning.showImpact`: `kenning/impact` for the symbol at the cursor (or named by the
 * arguments), shown as a quick pick of its callers grouped by file, nearest first,
 * each with its distance; accepting one opens its call site. Resolves to the
 * `ImpactResult` once shown, the pick left open.
 */

import * as vscode from 'vscode';

import { IMPACT, ImpactCaller, ImpactResult } from '../protocol';
import { KenningServer, message } from '../server';
import { openLocation, relativePath, target, toRange } from './util';

interface CallerItem extends vscode.QuickPickItem {
  uri?: string;
  caller?: ImpactCaller;
}

export function impactItems(result: ImpactResult): CallerItem[] {
  const items: CallerItem[] = [];
  const listed = (files: ImpactResult['files'], apart: string): void => {
    for (const file of files) {
      const label = `${apart}${relativePath(file.uri)}`;
      items.push({ label, kind: vscode.QuickPickItemKind.Separator });
      for (const caller of file.callers) {
        const site = caller.callSites[0] ?? caller.symbol.selectionRange;
        const sites = caller.callSites.length;
        const distance =
          caller.distance === 1 ? 'calls it directly' : `distance ${caller.distance}`;
        items.push({
          label: caller.symbol.qualname,
          description: `${distance} · ${caller.resolution} ${caller.confidence.toFixed(2)}`,
          detail: `${relativePath(file.uri)}:${site.start.line + 1}${sites > 1 ? ` (+${sites - 1} more call sites)` : ''}`,
          iconPath: new vscode.ThemeIcon(caller.symbol.kind === 'method' ? 'symbol-method' : 'symbol-function'),
          uri: file.uri,
          caller,
        });
      }
    }
  };
  listed(result.files, '');
  // Callers reached only through name-only candidates come last, marked as such.
  listed(result.candidates, 'candidates: ');
  return items;
}

export function impactTitle(result: ImpactResult): string {
  const files = result.files.length;
  return (
    `Impact of ${result.root.qualname}: ${result.totalCallers} caller(s) in ${files} file(s), ` +
    `depth ${result.depth}`
  );
}

export async function showImpact(
  server: KenningServer,
  arg0?: unknown,
  arg1?: unknown,
): Promise<ImpactResult | undefined> {
  const about = await target(arg0, arg1);
  if (about === undefined) {
    return undefined;
  }
  let result: ImpactResult;
  try {
    result = await server.request(IMPACT, about);
  } catch (error) {
    void vscode.window.showErrorMessage(`Kenning: impact failed: ${message(error)}`);
    return undefined;
  }
  const pick = vscode.window.createQuickPick<CallerItem>();
  pick.title = impactTitle(result);
  pick.placeholder = 'Callers, grouped by file; pick one to open its call site';
  pick.matchOnDetail = true;
  pick.items = result.totalCallers
    ? impactItems(result)
    : [{ label: `Nothing calls ${result.root.qualname} (within ${result.depth} levels)` }];
  pick.onDidAccept(() => {
    const item = pick.selectedItems[0] ?? pick.activeItems[0];
    if (item?.uri === undefined || item.caller === undefined) {
      return;
    }
    const site = item.caller.callSites[0] ?? item.caller.symbol.selectionRange;
    pick.hide();
    openLocation(item.uri, toRange(site)).catch((error: unknown) => {
      void vscode.window.showErrorMessage(`Kenning: cannot open ${item.uri}: ${message(error)}`);
    });
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
  return result;
}
