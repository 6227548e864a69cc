// Verifies webhook deliveries with the standardwebhooks package, an
// implementation independent of upskill's. Input (file named by argv[2]):
// {"secrets": ["whsec_…"], "deliveries": [{"headers": {...}, "body": "…"}]}.
// Prints {"verified": n, "failures": [...]} and exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const failures = [];
let verified = 0;
for (const [i, d] of input.deliveries.entries()) {
  const reasons = [];
  let ok = false;
  for (const secret of input.secrets) {
    try {
      const payload = new Webhook(secret).verify(d.body, d.headers);
      if (payload.id !== d.headers['webhook-id']) {
        reasons.push('body id differs from webhook-id');
        continue;
      }
      ok = true;
      break;
    } catch (e) {
      reasons.push(String(e.message || e));
    }
  }
  if (ok) verified++;
  else failures.push({ index: i, reasons });
}
console.log(JSON.stringify({ verified, failures }));
process.exit(failures.length ? 1 : 0);
