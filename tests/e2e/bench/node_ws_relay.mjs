// The baseline for `shadowcast bench pipeline`: a plain Node `ws` broadcast
// server relaying the same encoded frames. It joins the shadowcast server as
// a spectator (upstream) and sends every binary message it gets to each of
// its own clients, the way a typical Node relay does (one send per client,
// no per-client queue policy beyond ws' own buffering).
//   node node_ws_relay.mjs UPSTREAM_WS_URL
// Prints "RELAY port=N pid=P" once listening on 127.0.0.1 (ephemeral port).
import WebSocket, { WebSocketServer } from 'ws';

const upstreamUrl = process.argv[2];
if (!upstreamUrl) {
  console.error('usage: node node_ws_relay.mjs ws://HOST:PORT/stream');
  process.exit(2);
}
const MAX_BUFFERED = 2 << 20; // skip a client with more than this queued (slow reader)

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => {
  const up = new WebSocket(upstreamUrl, 'shadowcast.v1', { perMessageDeflate: false });
  up.on('open', () => up.send(JSON.stringify({ type: 'join', spectate: true })));
  up.on('message', (data, isBinary) => {
    if (!isBinary) return;
    for (const c of wss.clients)
      if (c.readyState === WebSocket.OPEN && c.bufferedAmount < MAX_BUFFERED) c.send(data, { binary: true });
  });
  up.on('close', () => process.exit(0));
  up.on('error', (e) => { console.error(`relay upstream: ${e.message}`); process.exit(1); });
  console.log(`RELAY port=${wss.address().port} pid=${process.pid}`);
});
process.on('SIGTERM', () => process.exit(0));
