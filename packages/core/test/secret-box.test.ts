import t from 'tap';
import { CoreErrorCode } from '../src/errors.ts';
import { parseEncryptionKey, SecretBox } from '../src/secret-box.ts';

t.test('seals and opens; the ciphertext does not contain the plaintext; each seal differs', async (t) => {
  const box = new SecretBox(Buffer.alloc(32, 1));
  const sealed = box.seal({ apiPassword: 'hunter2-secret' });
  t.notMatch(sealed, /hunter2/);
  t.not(sealed, box.seal({ apiPassword: 'hunter2-secret' }));
  t.same(box.open(sealed), { apiPassword: 'hunter2-secret' });
});

t.test('a wrong key or a tampered ciphertext is refused with a coded error', async (t) => {
  const sealed = new SecretBox(Buffer.alloc(32, 1)).seal('x');
  t.throws(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed), { code: CoreErrorCode.SECRET_UNREADABLE });
  const parts = sealed.split('.');
  parts[3] = Buffer.from('tampered').toString('base64');
  t.throws(() => new SecretBox(Buffer.alloc(32, 1)).open(parts.join('.')), {
    code: CoreErrorCode.SECRET_UNREADABLE,
  });
  t.throws(() => new SecretBox(Buffer.alloc(16)), { code: CoreErrorCode.ENCRYPTION_KEY_INVALID });
});

t.test('keys are read from base64 or hex, 32 bytes only', async (t) => {
  t.equal(parseEncryptionKey(Buffer.alloc(32, 3).toString('base64'))?.length, 32);
  t.equal(parseEncryptionKey('ab'.repeat(32))?.length, 32);
  t.equal(parseEncryptionKey('too short'), null);
  t.equal(parseEncryptionKey(Buffer.alloc(16).toString('base64')), null);
});
