// cors-anywhere for bench/run.sh: loopback only, the same single allowed origin as open.toml.
// `keepalive` (the peer's best configuration) gives it a keep-alive agent to the upstream;
// `default` keeps its own default (agent: false: a new upstream connection per request), as it
// runs when deployed unchanged. Usage: node cors-anywhere.js PORT [keepalive|default]
'use strict';
const http = require('http');
const corsAnywhere = require('cors-anywhere');

const port = Number(process.argv[2]);
const keepAlive = (process.argv[3] || 'keepalive') === 'keepalive';
const options = {
  originWhitelist: ['https://app.example.com'],
  requireHeader: [],
  removeHeaders: ['cookie', 'cookie2'],
};
if (keepAlive) {
  options.httpProxyOptions = { agent: new http.Agent({ keepAlive: true, maxSockets: 128 }) };
}
corsAnywhere
  .createServer(options)
  .listen(port, '127.0.0.1', () => console.log(`cors-anywhere on 127.0.0.1:${port}`));
