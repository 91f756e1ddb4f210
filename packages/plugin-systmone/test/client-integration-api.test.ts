/**
 * The wire format shared by the client and the sandbox: `<EOF>` framing over any chunking, and
 * XML documents that keep every value as text.
 */
import t from 'tap';
import {
  decodeDocument,
  EofFramer,
  encodeDocument,
  MAX_DOCUMENT_BYTES,
} from '../src/client-integration-api.ts';

t.test(
  'a document split at every byte, a split character and a split terminator comes out whole',
  async (t) => {
    const bytes = Buffer.concat([
      encodeDocument('A', { Name: 'Zoë Ó Dálaigh' }),
      encodeDocument('B', { N: '1' }),
    ]);
    const framer = new EofFramer();
    const documents: string[] = [];
    for (let i = 0; i < bytes.length; i += 1) documents.push(...framer.push(bytes.subarray(i, i + 1)));
    t.same(documents, [
      '<?xml version="1.0" encoding="utf-8"?><A><Name>Zoë Ó Dálaigh</Name></A>',
      '<?xml version="1.0" encoding="utf-8"?><B><N>1</N></B>',
    ]);
    t.equal(framer.pendingBytes, 0);
  },
);

t.test('several documents in one chunk, and a partial one kept for later', async (t) => {
  const framer = new EofFramer();
  t.same(framer.push(Buffer.from('<a/><EOF><b/><EOF><c')), ['<a/>', '<b/>']);
  t.equal(framer.pendingBytes, 2);
  t.same(framer.push(Buffer.from('/><EOF>')), ['<c/>']);
});

t.test('a stream that never ends a document is refused past the limit', async (t) => {
  const framer = new EofFramer();
  t.throws(() => framer.push(Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 'x')), /without <EOF>/);
});

t.test('values stay text and special characters survive the round trip', async (t) => {
  const bytes = encodeDocument('ClientIntegrationRequest', {
    NHSNumber: '0012345678',
    FunctionVersion: '1.0',
    Comments: 'Knee <left> & "ankle" <EOF>',
  });
  const text = bytes.toString('utf8');
  t.equal(text.indexOf('<EOF>'), text.length - 5, 'the only <EOF> is the terminator');
  t.same(decodeDocument(text.slice(0, -5)), {
    root: 'ClientIntegrationRequest',
    body: { NHSNumber: '0012345678', FunctionVersion: '1.0', Comments: 'Knee <left> & "ankle" <EOF>' },
  });
});

t.test('what is not one well-formed document is named', async (t) => {
  t.match(decodeDocument('<a><b></a>'), { invalid: /closing tag/ });
  t.same(decodeDocument('not xml'), { invalid: "char 'n' is not expected." });
  t.same(decodeDocument(''), { invalid: 'Start tag expected.' });
  t.same(decodeDocument('<a/><b/>'), { invalid: 'a document has exactly one root element' });
});
