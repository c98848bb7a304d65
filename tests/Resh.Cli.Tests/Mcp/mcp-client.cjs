// An MCP client built on the official TypeScript SDK (@modelcontextprotocol/sdk), driven by McpClientTests.
// Usage: node mcp-client.cjs CONFIG_JSON
//   CONFIG_JSON = {"resh": "/path/to/resh", "serverArgs": ["--read-only"], "elicit": "accept"|"decline"|"cancel"|"unchecked"|null,
//                  "steps": [{"op": "list"}, {"op": "call", "name": "file_read", "args": {...}, "progress": true, "abortAfterMs": 300}, ...]}
// With "url" (and "token"): the SDK's StreamableHTTPClientTransport to `resh serve --mcp` instead of stdio; the step
// {"op": "terminate"} ends the session (DELETE), and the output has "sessionId" (as initialize answered it).
// Prints one JSON object: {"server": serverInfo, "capabilities": ..., "instructions": ..., "steps": [result per step]}.
// Every structuredContent is validated twice: by the SDK itself (callTool checks it against the listed outputSchema and
// throws when it does not match) and explicitly with Ajv (draft 2020-12), reported as "ajvValid"/"ajvErrors".
'use strict';
const path = require('node:path');
const { createRequire } = require('node:module');
const modules = process.env.MCP_CLIENT_MODULES;
if (!modules) { console.error('MCP_CLIENT_MODULES must name the node_modules folder (scripts/install-test-deps.sh)'); process.exit(2); }
const req = createRequire(path.join(modules, 'x.js'));
const { Client } = req('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = req('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = req('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { ElicitRequestSchema } = req('@modelcontextprotocol/sdk/types.js');
const Ajv2020 = req('ajv/dist/2020').default;

async function main() {
  const config = JSON.parse(process.argv[2]);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const capabilities = config.elicit ? { elicitation: { form: {} } } : {};
  const client = new Client({ name: 'resh-tests', version: '1.0.0' }, { capabilities });
  const elicitations = [];
  if (config.elicit) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params);
      if (config.elicit === 'accept') return { action: 'accept', content: { confirm: true } };
      if (config.elicit === 'unchecked') return { action: 'accept', content: { confirm: false } };
      return { action: config.elicit };
    });
  }
  const stderr = [];
  const transport = config.url
    ? new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.token ? { Authorization: 'Bearer ' + config.token } : {} } })
    : new StdioClientTransport({ command: config.resh, args: ['mcp', ...(config.serverArgs || [])], stderr: 'pipe', env: process.env });
  transport.stderr?.on('data', (d) => stderr.push(d.toString()));
  await client.connect(transport);
  const out = { server: client.getServerVersion(), capabilities: client.getServerCapabilities(), instructions: client.getInstructions(), steps: [] };
  if (config.url) out.sessionId = transport.sessionId ?? null;
  const schemas = new Map();
  async function listAll() {
    const tools = [];
    let cursor;
    let pages = 0;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      pages++;
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor && pages < 100);
    for (const t of tools) if (t.outputSchema) schemas.set(t.name, t.outputSchema);
    return { tools, pages };
  }
  for (const step of config.steps) {
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    try {
      switch (step.op) {
        case 'list': {
          const { tools, pages } = await listAll();
          out.steps.push({ op: 'list', tools, pages, ms: ms() });
          break;
        }
        case 'call': {
          if (schemas.size === 0) await listAll();
          const progress = [];
          const controller = new AbortController();
          if (step.abortAfterMs) setTimeout(() => controller.abort('test cancels'), step.abortAfterMs);
          const options = { signal: controller.signal, timeout: step.timeoutMs || 60000 };
          if (step.progress) options.onprogress = (p) => progress.push(p);
          try {
            const result = await client.callTool({ name: step.name, arguments: step.args || {} }, undefined, options);
            const schema = schemas.get(step.name);
            let ajvValid = null, ajvErrors = null;
            if (schema && result.structuredContent) {
              const validate = ajv.compile(schema);
              ajvValid = validate(result.structuredContent);
              ajvErrors = validate.errors || null;
            }
            out.steps.push({ op: 'call', name: step.name, result, ajvValid, ajvErrors, progress, ms: ms() });
          } catch (e) {
            out.steps.push({ op: 'call', name: step.name, error: { code: e.code ?? null, message: String(e.message || e) }, progress, ms: ms() });
          }
          break;
        }
        case 'ping': {
          await client.ping();
          out.steps.push({ op: 'ping', ok: true, ms: ms() });
          break;
        }
        case 'resources': out.steps.push({ op: 'resources', ...(await client.listResources()), ms: ms() }); break;
        case 'read': out.steps.push({ op: 'read', ...(await client.readResource({ uri: step.uri })), ms: ms() }); break;
        case 'prompts': out.steps.push({ op: 'prompts', ...(await client.listPrompts()), ms: ms() }); break;
        case 'prompt': out.steps.push({ op: 'prompt', ...(await client.getPrompt({ name: step.name, arguments: step.args || {} })), ms: ms() }); break;
        case 'terminate': await transport.terminateSession(); out.steps.push({ op: 'terminate', sessionId: transport.sessionId ?? null, ms: ms() }); break;
        case 'sleep': await new Promise((r) => setTimeout(r, step.ms)); out.steps.push({ op: 'sleep' }); break;
        default: throw new Error('unknown op ' + step.op);
      }
    } catch (e) {
      out.steps.push({ op: step.op, error: { code: e.code ?? null, message: String(e.message || e) }, ms: ms() });
    }
  }
  out.elicitations = elicitations;
  await client.close();
  out.stderr = stderr.join('');
  process.stdout.write(JSON.stringify(out) + '\n');
}
main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
