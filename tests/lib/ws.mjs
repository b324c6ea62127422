// ws.mjs - the `ws` package for code outside tests/ (bench/), which has no
// node_modules of its own: import { WebSocket, WebSocketServer } from here.
export { default as WebSocket, WebSocketServer } from 'ws';
