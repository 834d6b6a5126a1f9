/**
 * Interviews: registering one (the engine requires the participant's recording consent), presigned
 * uploads of its recording, completing a multipart upload, and the facilitator's summary.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { InterviewSummarised } from '../../events/catalog.ts';
import {
  AlreadyDoneError,
  ConsentRequiredError,
  NotFoundError,
  ProcessCompletedError,
} from '../../shared/domain/errors.ts';
import type { ProcessState } from '../../shared/domain/process.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import type { Caller } from '../../shared/runtime/http-auth.ts';
import { problems } from '../../shared/runtime/http-problem.ts';
import {
  completeUpload,
  interviewPrefix,
  MAX_PART_BYTES,
  MAX_RECORDING_BYTES,
  MAX_SINGLE_UPLOAD_BYTES,
  MIN_PART_BYTES,
  planUpload,
  RECORDING_CONTENT_TYPE,
} from './files.ts';
import { commandResult, loadProcess, runCommand } from './process.ts';
import { CommandResult } from './processes.ts';
import { Id, newId, ProcessParams } from './schemas.ts';

const InterviewParams = ProcessParams.extend({ interviewId: Id });

const UploadRequest = z.object({
  fileName: z.string().min(1).max(255),
  contentType: z
    .string()
    .toLowerCase()
    .regex(RECORDING_CONTENT_TYPE, 'audio/*, video/*, text/plain or text/vtt'),
  size: z
    .number()
    .int()
    .min(1)
    .max(MAX_RECORDING_BYTES, 'at most 5 GiB')
    .describe(`Bytes; above ${MAX_SINGLE_UPLOAD_BYTES} the upload is multipart`),
  partSize: z
    .number()
    .int()
    .min(MIN_PART_BYTES, 'at least 5 MiB')
    .max(MAX_PART_BYTES)
    .optional()
    .describe('Bytes per part of a multipart upload (16 MiB when absent)'),
});

const CompleteUpload = z.object({
  key: z.string().min(1).max(1024),
  uploadId: z.string().min(1).max(1024),
  parts: z
    .array(z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) }))
    .min(1)
    .max(10_000)
    .refine((parts) => parts.every((p, i) => i === 0 || p.partNumber > (parts[i - 1]?.partNumber ?? 0)), {
      message: 'parts in ascending partNumber order, each once',
    }),
});

/** The interview a recording may be uploaded for: registered, not yet recorded, its participant consenting. */
function uploadableInterview(state: ProcessState, interviewId: string) {
  const interview = state.interviews[interviewId];
  if (!interview) throw new NotFoundError('interview', interviewId);
  if (state.status === 'completed') throw new ProcessCompletedError(state.processId);
  // A summary may come before the recording; a second recording may not.
  if (state.facts['Interview.Recorded']?.includes(interviewId))
    throw new AlreadyDoneError(`uploading the recording of interview ${interviewId}`);
  const participant = interview.participantId ? state.participants[interview.participantId] : undefined;
  if (!participant?.recordingConsent || participant.erased)
    throw new ConsentRequiredError(`uploading the recording of interview ${interviewId}`);
  return interview;
}

const refOf = (caller: Caller, state: ProcessState, interviewId: string) => ({
  orgId: caller.orgId,
  placeId: state.placeId,
  processId: state.processId,
  interviewId,
});

export const interviewRoutes = [
  defineRoute({
    operationId: 'registerInterview',
    tag: 'interviews',
    method: 'POST',
    path: '/processes/{processId}/interviews',
    params: ProcessParams,
    body: z.object({
      interviewId: Id.optional().describe('Generated when absent'),
      participantId: Id,
      consentRecordedAt: z.iso.datetime().optional().describe('When consent was recorded; now when absent'),
    }),
    fields: { ConsentRequired: 'body.participantId' },
    response: {
      status: 201,
      description: 'The interview was registered; its recording may now be uploaded',
      schema: CommandResult.extend({ interviewId: Id }),
    },
    errors: [404, 409, 422],
    handle: async ({ caller, params, body, requestId }) => {
      const interviewId = body.interviewId ?? newId();
      const result = await runCommand(caller, requestId, params.processId, {
        type: 'registerInterview',
        interviewId,
        participantId: body.participantId,
        consentRecordedAt: body.consentRecordedAt ?? new Date().toISOString(),
      });
      return reply.created(
        commandResult(result, { interviewId }),
        `/processes/${params.processId}/interviews/${interviewId}`,
      );
    },
  }),

  defineRoute({
    operationId: 'requestRecordingUpload',
    tag: 'interviews',
    method: 'POST',
    path: '/processes/{processId}/interviews/{interviewId}/upload',
    params: InterviewParams,
    body: UploadRequest,
    response: {
      status: 200,
      description:
        'Up to 100 MiB: one presigned PUT (send the given headers). Above: a multipart upload with a presigned URL per part; PUT each part, then complete it with the ETags.',
    },
    errors: [404, 409, 422],
    handle: async ({ caller, params, body }) => {
      const { state } = await loadProcess(caller, params.processId);
      uploadableInterview(state, params.interviewId);
      return reply.ok(await planUpload(refOf(caller, state, params.interviewId), body));
    },
  }),

  defineRoute({
    operationId: 'completeRecordingUpload',
    tag: 'interviews',
    method: 'POST',
    path: '/processes/{processId}/interviews/{interviewId}/upload/complete',
    params: InterviewParams,
    body: CompleteUpload,
    response: {
      status: 200,
      description: 'The multipart upload is complete; the recording is checked on arrival',
      schema: z.object({ key: z.string(), etag: z.string().optional() }),
    },
    errors: [404, 409, 422],
    handle: async ({ caller, params, body }) => {
      const { state } = await loadProcess(caller, params.processId);
      uploadableInterview(state, params.interviewId);
      if (!body.key.startsWith(interviewPrefix(refOf(caller, state, params.interviewId))))
        throw problems.validation([{ path: 'body.key', message: 'not a recording key of this interview' }]);
      try {
        return reply.ok(await completeUpload(body.key, body.uploadId, body.parts));
      } catch (error) {
        if (!(error instanceof S3ServiceException)) throw error;
        if (error.name === 'NoSuchUpload')
          throw problems.notFound(`upload ${body.uploadId} does not exist (completed or aborted?)`);
        if (['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall'].includes(error.name))
          throw problems.validation([{ path: 'body.parts', message: `${error.name}: ${error.message}` }]);
        throw error;
      }
    },
  }),

  defineRoute({
    operationId: 'summariseInterview',
    tag: 'interviews',
    method: 'PUT',
    path: '/processes/{processId}/interviews/{interviewId}/summary',
    params: InterviewParams,
    body: InterviewSummarised.data.omit({ interviewId: true, sector: true, ageGroup: true }),
    response: {
      status: 200,
      description: 'The summary was recorded (the stage may have moved on)',
      schema: CommandResult,
    },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'summariseInterview',
            interviewId: params.interviewId,
            ...body,
          }),
        ),
      ),
  }),
];
