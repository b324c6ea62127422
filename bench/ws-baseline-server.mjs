// ws-baseline-server.mjs - the smallest useful WebSocket server (node + ws):
// a hello on connect, echo afterwards. Prints its port, runs until killed.
// The baseline for bench/idle-memory.mjs.
import { WebSocketServer } from '../tests/lib/ws.mjs';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(`${wss.address().port}\n`);
});
wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'hello' }));
  ws.on('message', (d, bin) => ws.send(d, { binary: bin }));
});
process.on('SIGTERM', () => process.exit(0));
