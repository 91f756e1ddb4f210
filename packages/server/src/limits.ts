/**
 * Rate limits (@fastify/rate-limit, counted in this process's memory), each answered 429
 * problem+json with a code, a fix and `Retry-After`:
 *
 * - **failed authentication per client address**: only requests whose key is missing, wrong or
 *   revoked are counted; past the limit such requests answer 429 instead of 401 until the
 *   window ends. A request with a right key is never counted nor refused by it, so one broken
 *   client cannot lock out the others behind the same address.
 * - **booking creation per API key** (routes with `config: { limit: 'bookings' }`: POST
 *   …/bookings and …/reschedule), counted once the request is authenticated and valid.
 *
 * docs/configuration.md tells the settings and why their defaults are what they are.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { loadLimits } from './config.ts';
import { ServerErrorCode } from './errors.ts';
import { addProblems } from './openapi.ts';
import { sendProblem } from './problem.ts';

export interface RateLimit {
  /** Requests counted in one window; the next is refused until the window ends. */
  max: number;
  windowMs: number;
}

export interface LimitsOptions {
  /** Failed authentications per client address; null: no limit. */
  failedAuth: RateLimit | null;
  /** Bookings made (POST …/bookings, …/reschedule) per API key; null: no limit. */
  bookings: RateLimit | null;
}

/** The rate limits' codes (the core's ERRORS is their table: status, title, fix). */
export const LimitCode = {
  AUTH_RATE_LIMITED: ServerErrorCode.AUTH_RATE_LIMITED,
  BOOKING_RATE_LIMITED: ServerErrorCode.BOOKING_RATE_LIMITED,
} as const;

declare module 'fastify' {
  interface FastifyInstance {
    limits: {
      /**
       * Counts a failed authentication from the request's address. Past the limit it answers
       * 429 and returns true; otherwise the caller answers 401.
       */
      failedAuthentication(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
    };
  }
  interface FastifyContextConfig {
    /** The rate limit this route counts towards, besides failed authentication. */
    limit?: 'bookings';
  }
}

const minutes = (ms: number) =>
  ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}` : `${ms / 1000} seconds`;

const retryAfter = (ttlInSeconds: number) => Math.max(1, ttlInSeconds);

export const limits = fp<{ limits?: LimitsOptions }>(
  async (app: FastifyInstance, options) => {
    // Given by the caller (tests), else read like loadConfig does (the CLI checked them at boot).
    const settings = options.limits ?? loadLimits(process.env);
    await app.register(rateLimit, { global: false });

    const failedAuth = settings.failedAuth
      ? app.createRateLimit({ max: settings.failedAuth.max, timeWindow: settings.failedAuth.windowMs })
      : null;
    app.decorate('limits', {
      async failedAuthentication(request: FastifyRequest, reply: FastifyReply) {
        if (!failedAuth || !settings.failedAuth) return false;
        const counted = await failedAuth(request);
        if (counted.isAllowed || !counted.isExceeded) return false;
        request.log.info({ address: counted.key }, 'failed authentications over the limit');
        await sendProblem(reply.header('retry-after', retryAfter(counted.ttlInSeconds)), {
          code: LimitCode.AUTH_RATE_LIMITED,
          detail: `More than ${settings.failedAuth.max} requests with a missing, wrong or revoked API key came from this address in ${minutes(settings.failedAuth.windowMs)}`,
          instance: request.url.split('?')[0],
        });
        return true;
      },
    });

    const bookings = settings.bookings
      ? app.createRateLimit({
          max: settings.bookings.max,
          timeWindow: settings.bookings.windowMs,
          keyGenerator: (request) => request.caller.apiKeyId,
        })
      : null;
    const bookingLimit = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!bookings || !settings.bookings) return;
      const counted = await bookings(request);
      if (counted.isAllowed || !counted.isExceeded) return;
      return sendProblem(reply.header('retry-after', retryAfter(counted.ttlInSeconds)), {
        code: LimitCode.BOOKING_RATE_LIMITED,
        detail: `More than ${settings.bookings.max} bookings in ${minutes(settings.bookings.windowMs)} from this API key`,
        instance: request.url.split('?')[0],
      });
    };

    app.addHook('onRoute', (route: RouteOptions) => {
      if (route.config?.limit !== 'bookings') return;
      // After authentication and validation: a refused or invalid request is not a booking.
      route.preHandler = [
        ...(Array.isArray(route.preHandler) ? route.preHandler : route.preHandler ? [route.preHandler] : []),
        bookingLimit,
      ];
      addTooManyRequests(route);
    });
  },
  { name: 'slotbridge-limits', fastify: '5.x' },
);

/** The route's OpenAPI document lists the 429 it may answer. */
export function addTooManyRequests(route: RouteOptions): void {
  addProblems(route, [429]);
}
