// Loaded with `node --import` before the MCP conformance suite (@modelcontextprotocol/conformance), which needs
// Node >= 22 for fs.globSync while Debian ships Node 20. A --require preload that sets fs.globSync is not enough:
// an ES module's named import of a builtin ('fs') is checked against the builtin's export names, which a CommonJS
// assignment does not add. So a resolve hook gives the suite's `fs` a module that re-exports fs plus globSync
// (from the glob package installed beside the suite). And `resh serve` needs an identity on /mcp, which the suite's
// client does not send: its fetch calls get `Authorization: Bearer $RESH_MCP_TOKEN`.
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
const token = process.env.RESH_MCP_TOKEN;
if (token) {
  const inner = globalThis.fetch;
  globalThis.fetch = (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', 'Bearer ' + token);
    return inner(input, { ...init, headers });
  };
}
