// cors-anywhere for bench/run.sh: loopback only, the same single allowed origin as open.toml,
// and a keep-alive agent to the upstream (its default, agent: false, opens a connection per
// request; we give the peer its best configuration). Usage: node cors-anywhere.js PORT
'use strict';
const http = require('http');
const corsAnywhere = require('cors-anywhere');

const port = Number(process.argv[2]);
corsAnywhere
  .createServer({
    originWhitelist: ['https://app.example.com'],
    requireHeader: [],
    removeHeaders: ['cookie', 'cookie2'],
    httpProxyOptions: { agent: new http.Agent({ keepAlive: true, maxSockets: 128 }) },
  })
  .listen(port, '127.0.0.1', () => console.log(`cors-anywhere on 127.0.0.1:${port}`));
