// ws-broadcast-server.mjs - the smallest room server (node + ws): a hello on
// connect; a message from any client goes to every client. Prints its
// port, runs until killed. The baseline for bench/rooms.mjs's fan-out: the
// same clients, the same measurement, no document, no store.
import { WebSocketServer } from '../tests/lib/ws.mjs';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(`${wss.address().port}\n`);
});
wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'hello' }));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.type !== 'push') { ws.send(d.toString()); return; }
    const out = JSON.stringify({ type: 'updates', from: m.version, updates: m.updates });
    for (const c of wss.clients) c.send(out);
  });
});
process.on('SIGTERM', () => process.exit(0));
