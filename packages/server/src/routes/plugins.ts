/**
 * GET /v1/plugins: the loaded EHR plugins, each with its capabilities, its connection settings'
 * JSON Schema and the set-up steps the practice follows in the EHR before filling the form. The
 * view's schemas (Plugin, Capabilities, SetupStep) are declared here, beside the one place that
 * builds it, and registered by this route.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EhrCapabilities, EhrPluginDefinition } from '@slotbridge/core';
import { type Static, Type } from 'typebox';
import { ref } from '../schemas.ts';

export const CapabilitiesSchema = Type.Object(
  {
    cancel: Type.Boolean(),
    reschedule: Type.Boolean({
      description:
        'A booking can be moved (POST …/bookings/{id}/reschedule): the core books the new slot, then cancels the old once the new is written, so it is available wherever cancel is',
    }),
    publishingHorizonDays: Type.Object({ default: Type.Integer(), max: Type.Integer() }),
    callsPerMinute: Type.Integer({
      description: 'The most EHR calls a minute one connection may make (a practice may set a lower budget)',
    }),
    maxFetchWindowDays: Type.Integer(),
    listsBookedSlots: Type.Optional(
      Type.Boolean({
        description: 'The EHR lists booked slots too, so a vanished booking means it was cancelled there',
      }),
    ),
  },
  { $id: 'Capabilities' },
);

export const SetupStepSchema = Type.Object(
  {
    title: Type.String({
      minLength: 1,
      description: 'A short imperative heading, unique within the plugin',
      examples: ['Create a dedicated EMIS user'],
    }),
    text: Type.String({
      minLength: 1,
      description: 'What to do, in plain text (no HTML or markdown); a line break (\\n) starts a new line',
    }),
    warning: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A caution to show highlighted beside the step',
      }),
    ),
  },
  {
    $id: 'SetupStep',
    description: 'One step a practice manager follows in the EHR before filling the connection form',
  },
);

export const PluginSchema = Type.Object(
  {
    id: Type.String({ examples: ['emis'] }),
    name: Type.String({ examples: ['EMIS Web'] }),
    capabilities: ref(CapabilitiesSchema),
    connectionSchema: Type.Object(
      {},
      {
        additionalProperties: true,
        description: 'JSON Schema of the connection settings; writeOnly fields are secrets',
      },
    ),
    setupSteps: Type.Array(ref(SetupStepSchema), {
      description:
        "The steps, in order, a practice manager follows in the EHR before filling the connection form, in the practice's words; empty when the plugin declares none",
    }),
  },
  { $id: 'Plugin' },
);

export type PluginView = Static<typeof PluginSchema>;

/** A loaded plugin as GET /v1/plugins answers it. */
export function pluginView(plugin: EhrPluginDefinition, capabilities: EhrCapabilities): PluginView {
  return {
    id: plugin.id,
    name: plugin.name,
    // A move is the core's: the new slot booked, then the old cancelled.
    capabilities: { ...capabilities, reschedule: capabilities.cancel },
    connectionSchema: plugin.connectionSchema,
    setupSteps: (plugin.setupSteps ?? []).map(({ title, text, warning }) => ({
      title,
      text,
      ...(warning !== undefined && { warning }),
    })),
  };
}

export const pluginRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [CapabilitiesSchema, SetupStepSchema, PluginSchema]) app.addSchema(schema);
  app.get(
    '/v1/plugins',
    {
      schema: {
        tags: ['plugins'],
        operationId: 'listPlugins',
        summary:
          'The EHR plugins this server has, with their capabilities, connection settings and set-up steps',
        description:
          'Every EHR plugin loaded at boot (slotbridge.config.json), with its capabilities, the JSON Schema of its connection settings (the body of PUT …/connection for a practice on it), and the steps a practice manager follows in the EHR before filling that form.',
        response: { 200: Type.Object({ data: Type.Array(ref(PluginSchema)) }) },
      },
    },
    async () => ({
      data: await Promise.all(
        app.slotbridge.ehr
          .list()
          .map(async (plugin) => pluginView(plugin, await app.slotbridge.ehr.capabilities(plugin.id))),
      ),
    }),
  );
};
