// Saves a PNG of the page that a running headless Chromium shows, through the
// DevTools protocol: `node --experimental-websocket screenshot.mjs PORT_FILE OUT.png`.
// PORT_FILE is the DevToolsActivePort file that Chromium, started with
// --remote-debugging-port=0, writes into its --user-data-dir. The end-to-end tests
// (tests/clients/test_vscode_e2e.py) take one at the end of every session, so a
// failure shows what the workbench looked like. Node 20 has WebSocket behind the flag.
import { readFileSync, writeFileSync } from 'node:fs';

const [portFile, out] = process.argv.slice(2);
const port = readFileSync(portFile, 'utf8').split('\n')[0].trim();
const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const page = targets.find((target) => target.type === 'page');
if (!page) throw new Error(`no page among ${JSON.stringify(targets)}`);

const socket = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  socket.onopen = resolve;
  socket.onerror = () => reject(new Error(`cannot connect to ${page.webSocketDebuggerUrl}`));
});
const reply = new Promise((resolve, reject) => {
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id !== 1) return;
    if (message.error) reject(new Error(JSON.stringify(message.error)));
    else resolve(message.result);
  };
});
socket.send(JSON.stringify({ id: 1, method: 'Page.captureScreenshot', params: { format: 'png' } }));
const { data } = await reply;
writeFileSync(out, Buffer.from(data, 'base64'));
socket.close();
console.log(`${out}: ${page.url}`);
