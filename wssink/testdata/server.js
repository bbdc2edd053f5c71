// A WebSocket log receiver written with the npm package "ws", to check that
// wssink speaks to a server that is not ours. It speaks the protocol of the
// wssink package doc: log_batch and log messages, bare records, and
// {"type":"ack","seq":N} for every message with a seq.
//
// Usage: node server.js [--deflate]
// It listens on 127.0.0.1 on a free port and prints {"port":N}. When its
// standard input closes it prints a summary and exits:
// {"messages":M,"records":R,"distinct":D,"min":A,"max":B,"bad":X,
//  "connections":C,"deflateConnections":E,"payloadBytes":P,"wireBytes":W,
//  "closeCodes":[...]}
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const deflate = process.argv.includes('--deflate');
const seen = new Set();
const stats = {
  messages: 0, records: 0, bad: 0, connections: 0, deflateConnections: 0,
  payloadBytes: 0, wireBytes: 0, closeCodes: [],
};
let min = Infinity;
let max = -Infinity;

function take(rec) {
  stats.records++;
  if (rec === null || typeof rec !== 'object' || !Number.isInteger(rec.i)) {
    stats.bad++;
    return;
  }
  seen.add(rec.i);
  min = Math.min(min, rec.i);
  max = Math.max(max, rec.i);
}

const server = http.createServer();
const wss = new WebSocketServer({
  server,
  perMessageDeflate: deflate,
  maxPayload: 16 << 20,
});

wss.on('connection', (ws) => {
  stats.connections++;
  if (ws.extensions.includes('permessage-deflate')) stats.deflateConnections++;
  const sock = ws._socket;
  const start = sock.bytesRead;
  ws.on('message', (data, isBinary) => {
    stats.messages++;
    stats.payloadBytes += data.length;
    let msg;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch (e) {
      stats.bad++;
      return;
    }
    if (msg.type === 'log_batch' && Array.isArray(msg.logs)) {
      if (msg.count !== msg.logs.length) stats.bad++;
      msg.logs.forEach(take);
    } else if (msg.type === 'log' && msg.log) {
      take(msg.log);
    } else {
      take(msg);
    }
    if (Number.isInteger(msg.seq)) {
      ws.send(JSON.stringify({ type: 'ack', seq: msg.seq }));
    }
  });
  ws.on('close', (code) => {
    stats.closeCodes.push(code);
    stats.wireBytes += sock.bytesRead - start;
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

// summary waits (up to two seconds) for the clients to finish their close
// handshakes, so that their close codes are in, then prints.
function summary(deadline) {
  if (wss.clients.size > 0 && Date.now() < deadline) {
    setTimeout(summary, 10, deadline);
    return;
  }
  for (const ws of wss.clients) ws.terminate();
  const out = Object.assign({}, stats, {
    distinct: seen.size,
    min: seen.size ? min : null,
    max: seen.size ? max : null,
  });
  process.stdout.write(JSON.stringify(out) + '\n');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

process.stdin.resume();
process.stdin.on('end', () => summary(Date.now() + 2000));
