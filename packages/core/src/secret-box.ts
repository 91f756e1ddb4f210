/**
 * Encryption at rest for connection credentials and patient details: AES-256-GCM with a
 * random 96-bit IV per value. The key comes from the environment (SLOTBRIDGE_ENCRYPTION_KEY,
 * 32 bytes as base64 or hex); ciphertexts carry a version tag so the scheme can change.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CoreErrorCode, SlotbridgeError } from './errors.ts';

const VERSION = 'v1';

export function parseEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim();
  const candidates = [
    /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : null,
    safeBase64(trimmed),
  ];
  return candidates.find((k) => k?.length === 32) ?? null;
}

function safeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

export function generateEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) {
      throw new SlotbridgeError(
        CoreErrorCode.ENCRYPTION_KEY_INVALID,
        'internal',
        'The encryption key must be 32 bytes',
        {
          fix: 'Set SLOTBRIDGE_ENCRYPTION_KEY to 32 random bytes in base64, e.g. `openssl rand -base64 32`.',
        },
      );
    }
    this.#key = Buffer.from(key);
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      body.toString('base64'),
    ].join('.');
  }

  open<T = unknown>(sealed: string): T {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) {
      throw new SlotbridgeError(
        CoreErrorCode.SECRET_UNREADABLE,
        'internal',
        'A stored secret has an unknown format',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString(
        'utf8',
      );
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new SlotbridgeError(
        CoreErrorCode.SECRET_UNREADABLE,
        'internal',
        'A stored secret could not be decrypted with the configured key',
        { fix: 'Start the server with the SLOTBRIDGE_ENCRYPTION_KEY it was first started with.', cause },
      );
    }
  }
}
