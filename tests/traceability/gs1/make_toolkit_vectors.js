// Regenerates toolkit_vectors.json: Digital Links compressed by GS1's compression toolkit
// (GS1DigitalLinkToolkit, as bundled in npm digital-link.js 1.4.3), one for every
// optimisation code the toolkit emits, plus its SSCC cases.
//   mkdir /tmp/dl && npm install --prefix /tmp/dl digital-link.js@1.4.3
//   NODE_PATH=/tmp/dl/node_modules node tests/traceability/gs1/make_toolkit_vectors.js \
//     > tests/traceability/gs1/toolkit_vectors.json
'use strict';
const Toolkit = require('digital-link.js/lib/GS1DigitalLinkCompressionPrototype/GS1DigitalLinkToolkit');

const toolkit = new Toolkit();
const HOST = 'https://id.example.com';

function withCheckDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const weight = (body.length - i) % 2 === 1 ? 3 : 1;
    sum += Number(body[i]) * weight;
  }
  return body + String((10 - (sum % 10)) % 10);
}

const GTIN = withCheckDigit('0952012345678');
const GLN = withCheckDigit('952012345678');
const GSRN = withCheckDigit('95201234567890123');
const SSCC = withCheckDigit('09520123456789012');

// Values per AI, each within its format.
const VALUE = {
  '01': GTIN, '10': 'ABC123', '21': '12345abc', '22': '2A', '17': '251231', '7003': '2512311230',
  '30': '42', '15': '260115', '11': '250101', '16': '260301', '91': 'XYZ-91',
  '8010': '9520123ABC', '8011': '123', '8017': GSRN, '8018': GSRN, '8019': '7',
  '414': GLN, '254': 'A1', '255': GLN + '12',
};
for (let i = 0; i < 6; i++) { VALUE['310' + i] = '000123'; VALUE['320' + i] = '000456'; }
for (let i = 0; i < 10; i++) { VALUE['392' + i] = '1234'; VALUE['390' + i] = '5678'; }
for (let i = 0; i < 4; i++) VALUE['394' + i] = '0042';

const PRIMARY = ['01', '8010', '8017', '8018', '414', '255', '00'];
// Qualifiers go in the path, in the order the Digital Link grammar wants; the rest in the query.
const PATH_QUALIFIERS = {
  '01': ['22', '10', '21'], '8010': ['8011'], '414': ['254'], '8017': ['8019'], '8018': ['8019'],
};

function uriOf(ais) {
  const key = ais.find((ai) => PRIMARY.includes(ai));
  const order = PATH_QUALIFIERS[key] || [];
  const path = [key, ...order.filter((ai) => ais.includes(ai))];
  const query = ais.filter((ai) => !path.includes(ai));
  return HOST + path.map((ai) => `/${ai}/${VALUE[ai]}`).join('')
    + (query.length ? '?' + query.map((ai) => `${ai}=${VALUE[ai]}`).join('&') : '');
}

function attempt(fn) {
  try { return { ok: fn() }; } catch (e) { return { error: String(e.message || e) }; }
}

// The literal table in the toolkit's source; toolkit.tableOpt is what it really uses.
const cases = [];
for (const code of Object.keys(toolkit.tableOpt)) {
  const ais = [...toolkit.tableOpt[code]];
  const uncompressed = uriOf(ais);
  const compressed = toolkit.compressGS1DigitalLink(uncompressed, false, HOST, false, true, true);
  const segment = compressed.slice(HOST.length + 1);
  cases.push({
    code, emitted: segment.length > 0, toolkitSequence: ais, uncompressed, compressed,
    toolkitDecodes: attempt(() => toolkit.decompressGS1DigitalLink(compressed, false, HOST)),
  });
}
for (const uncompressed of [`${HOST}/00/${SSCC}`, `${HOST}/00/${SSCC}?400=PO123`]) {
  const compressed = attempt(
    () => toolkit.compressGS1DigitalLink(uncompressed, false, HOST, false, true, true));
  cases.push({
    code: null, toolkitSequence: null, uncompressed, compressed: compressed.ok || null,
    compressError: compressed.error || null,
    toolkitDecodes: compressed.ok
      ? attempt(() => toolkit.decompressGS1DigitalLink(compressed.ok, false, HOST)) : null,
  });
}
process.stdout.write(JSON.stringify({ toolkit: 'digital-link.js 1.4.3', cases }, null, 1) + '\n');
