/**
 * Verifies one person's name and date of birth through the exchange.
 *
 *   SACHSONG_URL=http://127.0.0.1:8080 CLIENT_ID=VN/COM/VCB/ekyc KEY=keys/vcb/private.jwk.json \
 *   OFFICER=o-0042 PURPOSE=KYC npm run example -- 079203012345 "Trần Văn Đức" 2003-11-30
 */
import { AgencyClient, ExchangeError } from './agency.client.js';

const [idNumber, fullName, birthDate] = process.argv.slice(2);
const setting = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`set ${name} (see the comment at the top of example.ts)`);
  return value;
};

if (idNumber === undefined) {
  console.error('usage: npm run example -- <ID number> [full name] [birth date]');
  process.exit(2);
}
const client = await AgencyClient.fromKeyFile({ baseUrl: setting('SACHSONG_URL'), clientId: setting('CLIENT_ID') }, setting('KEY'));
try {
  const reply = await client.call('verify', { idNumber, ...(fullName === undefined ? {} : { fullName }), ...(birthDate === undefined ? {} : { birthDate }) }, {
    officerId: setting('OFFICER'),
    caseReference: process.env.CASE_REFERENCE ?? `example-${new Date().toISOString().slice(0, 10)}`,
    purpose: setting('PURPOSE'),
  });
  console.log(JSON.stringify(reply.result, null, 2));
} catch (error) {
  if (!(error instanceof ExchangeError)) throw error;
  console.error(`${error.code}: ${error.detail}\n  what to do: ${error.action}`);
  process.exit(1);
}
