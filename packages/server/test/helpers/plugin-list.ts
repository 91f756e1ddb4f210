/**
 * The plugin list of this repository's slotbridge.config.json, as `npm start` reads it: tests that
 * cover "every loaded plugin" follow the configuration instead of naming plugins.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PluginList, readPluginList } from '../../src/plugins.ts';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function repositoryPluginList(): PluginList {
  const list = readPluginList({}, repositoryRoot);
  if (typeof list === 'string') throw new Error(list);
  return list;
}
