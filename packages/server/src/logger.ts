/**
 * pino options: JSON logs, with secrets and patient fields redacted wherever they appear.
 * Request bodies are never logged; these paths guard anything a handler or hook logs by mistake.
 */
import type { LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  '*.password',
  '*.apiPassword',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.settings',
  '*.connection',
  '*.patient',
  '*.firstName',
  '*.lastName',
  '*.dateOfBirth',
  '*.nhsNumber',
  'patient',
  'settings',
  'connection',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}
