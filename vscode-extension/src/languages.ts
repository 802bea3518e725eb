/**
 * The languages the kenning server indexes, mirrored from its language registry
 * (`daemon/kenning/languages/`): the editor language ids the client hands to the
 * server, and the file suffixes that make a folder worth activating for.
 *
 * `tests/clients/test_vscode_languages.py` fails when these lists, or the extension's
 * `activationEvents` in package.json, drift from the registry.
 */

export const LANGUAGE_IDS: readonly string[] = [
  'go',
  'java',
  'javascript',
  'javascriptreact',
  'python',
  'rust',
  'typescript',
  'typescriptreact',
];

export const FILE_SUFFIXES: readonly string[] = [
  '.cjs',
  '.cts',
  '.go',
  '.java',
  '.js',
  '.jsx',
  '.mjs',
  '.mts',
  '.py',
  '.pyi',
  '.rs',
  '.ts',
  '.tsx',
];
