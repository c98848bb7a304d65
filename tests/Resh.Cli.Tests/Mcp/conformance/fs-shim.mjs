// node:fs as it is, plus globSync (Node 22's) from the glob package of the suite's install (RESH_CONFORMANCE_MODULES).
import { createRequire } from 'node:module';
import fs from 'node:fs';
export * from 'node:fs';
export default fs;
const { globSync: glob } = createRequire(process.env.RESH_CONFORMANCE_MODULES + '/')('glob');
export function globSync(pattern, options = {}) { return glob(pattern, { cwd: options.cwd }); }
