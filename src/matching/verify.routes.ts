import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { VerifyService } from './verify.service.js';
import { VerifyBody, VerifyReply } from './verify.schemas.js';

export interface VerifyRoutesOptions {
  readonly verify: VerifyService;
}

/**
 * POST /verify (under /api): an operator checks the details an agency holds against the registry.
 * Errors are problem+json with a stable code, a message (detail) and an action.
 */
export const verifyRoutes: FastifyPluginAsyncTypebox<VerifyRoutesOptions> = (app, { verify }) => {
  app.post('/verify', {
    schema: {
      tags: ['matching'],
      summary: 'Verify an ID number and the details held about its holder (yes/no and a result per field, no registry data)',
      body: VerifyBody,
      response: { 200: VerifyReply },
    },
  }, async (request) => {
    const { strategy, threshold, ...details } = request.body;
    return verify.verify({ ...details, ...(strategy === undefined ? {} : { strategy }), ...(threshold === undefined ? {} : { threshold }) });
  });
  return Promise.resolve();
};
