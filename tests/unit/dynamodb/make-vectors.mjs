// Signature Version 4 test vectors for the C++ signer (src/dynamodb/sigv4.hpp), produced by AWS's own
// JavaScript signer (@smithy/signature-v4, installed with deploy/local/dynamodb's packages). Each case is a
// request, the credentials, region, service and time it is signed with, and the headers the signer added.
//
//   node tests/unit/dynamodb/make-vectors.mjs           prints the vectors (JSON)
//   node tests/unit/dynamodb/make-vectors.mjs --check   fails unless sigv4_vectors.json is what it prints
//   node tests/unit/dynamodb/make-vectors.mjs --write   rewrites sigv4_vectors.json
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../../deploy/local/dynamodb/package.json'));
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');
const { HttpRequest } = require('@smithy/protocol-http');

// AWS's example credentials (the Signature Version 4 test suite's), and a temporary one with a token.
const example = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const temporary = { ...example, sessionToken: 'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==' };

const cases = [
  { name: 'get-vanilla', credentials: example, region: 'us-east-1', service: 'service', date: '2015-08-30T12:36:00Z',
    request: { method: 'GET', hostname: 'example.amazonaws.com', path: '/', query: {}, headers: { host: 'example.amazonaws.com' }, body: '' } },
  { name: 'post-vanilla', credentials: example, region: 'us-east-1', service: 'service', date: '2015-08-30T12:36:00Z',
    request: { method: 'POST', hostname: 'example.amazonaws.com', path: '/', query: {}, headers: { host: 'example.amazonaws.com' }, body: '' } },
  { name: 'get-vanilla-query-order-key-case', credentials: example, region: 'us-east-1', service: 'service', date: '2015-08-30T12:36:00Z',
    request: { method: 'GET', hostname: 'example.amazonaws.com', path: '/', query: { Param2: 'value2', Param1: 'value1' }, headers: { host: 'example.amazonaws.com' }, body: '' } },
  { name: 'get-header-value-trim', credentials: example, region: 'us-east-1', service: 'service', date: '2015-08-30T12:36:00Z',
    request: { method: 'GET', hostname: 'example.amazonaws.com', path: '/', query: {}, headers: { host: 'example.amazonaws.com', 'my-header1': ' value1', 'my-header2': ' "a   b   c"' }, body: '' } },
  { name: 'dynamodb-getitem', credentials: example, region: 'us-east-1', service: 'dynamodb', date: '2026-12-02T11:30:00Z',
    request: { method: 'POST', hostname: 'dynamodb.us-east-1.amazonaws.com', path: '/', query: {},
      headers: { host: 'dynamodb.us-east-1.amazonaws.com', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body: '{"TableName":"myclothes-sessions","Key":{"pk":{"S":"s#abc"}},"ConsistentRead":true}' } },
  { name: 'dynamodb-updateitem-session-token', credentials: temporary, region: 'ap-northeast-2', service: 'dynamodb', date: '2026-12-02T23:59:59Z',
    request: { method: 'POST', hostname: 'dynamodb.ap-northeast-2.amazonaws.com', path: '/', query: {},
      headers: { host: 'dynamodb.ap-northeast-2.amazonaws.com', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.UpdateItem' },
      body: '{"TableName":"t","Key":{"pk":{"S":"c#u#7"}},"UpdateExpression":"SET #t = :t","ExpressionAttributeNames":{"#t":"ttl"},"ExpressionAttributeValues":{":t":{"N":"1796256000"}},"ConditionExpression":"attribute_exists(pk)","note":"항공 점퍼"}' } },
  { name: 'dynamodb-local-port', credentials: example, region: 'us-east-1', service: 'dynamodb', date: '2026-01-01T00:00:00Z',
    request: { method: 'POST', hostname: '127.0.0.1', port: 25490, path: '/', query: {},
      headers: { host: '127.0.0.1:25490', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}' } },
];

const out = [];
for (const c of cases) {
  const signer = new SignatureV4({ credentials: c.credentials, region: c.region, service: c.service, sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
  const signed = await signer.sign(new HttpRequest({ protocol: 'https:', ...c.request }), { signingDate: new Date(c.date) });
  const added = {};
  for (const [k, v] of Object.entries(signed.headers)) {
    if (!(k in c.request.headers)) added[k.toLowerCase()] = v;
  }
  out.push({ name: c.name, credentials: { access_key_id: c.credentials.accessKeyId, secret_access_key: c.credentials.secretAccessKey, session_token: c.credentials.sessionToken ?? '' },
    region: c.region, service: c.service, date: c.date, request: c.request, added });
}
const text = `${JSON.stringify(out, null, 2)}\n`;
const file = join(here, 'sigv4_vectors.json');
const mode = process.argv[2];
if (mode === '--write') writeFileSync(file, text);
else if (mode === '--check') {
  if (readFileSync(file, 'utf8') !== text) {
    process.stderr.write('make-vectors: tests/unit/dynamodb/sigv4_vectors.json is not what @smithy/signature-v4 signs; rerun with --write\n');
    process.exit(1);
  }
} else process.stdout.write(text);
