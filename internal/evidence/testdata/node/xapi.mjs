// Validates xAPI statements with Learning Locker's validator, an
// implementation independent of upskill's. Input (file named by argv[2]):
// a JSON array of statements. Prints {"valid": n, "problems": [...]} and
// exits 1 on any problem.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const validate = require('@learninglocker/xapi-validation').default;

const statements = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const problems = [];
let valid = 0;
for (const [i, st] of statements.entries()) {
  const warnings = validate(st);
  if (warnings.length === 0) valid++;
  else problems.push({ index: i, warnings: warnings.map((w) => `${w.path.join('.')}: ${w.constructor.name} ${JSON.stringify(w.data)}`) });
}
console.log(JSON.stringify({ valid, problems }));
process.exit(problems.length ? 1 : 0);
