/**
 * Participants: personal data (name, email) lives only in the participant row, written in the same
 * transaction as Participant.Registered, which carries none. Erasing removes it, deletes the
 * participant's recordings and emits Participant.Erased (counts only).
 */
import * as z from 'zod';
import { AgeGroup, Locale, Sector } from '../../events/vocabulary.ts';
import { AlreadyDoneError, NotFoundError } from '../../shared/domain/errors.ts';
import { newUnsubscribeNonce } from '../../shared/mail/unsubscribe.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import { rows } from '../../shared/store/directory.ts';
import { deleteUnder, interviewPrefix } from './files.ts';
import { commandResult, directory, loadProcess, runCommand } from './process.ts';
import { CommandResult } from './processes.ts';
import { Email, Id, newId, ProcessParams, Text } from './schemas.ts';

export const RegisterParticipant = z.object({
  participantId: Id.optional().describe('Generated when absent'),
  name: Text(200),
  email: Email,
  sector: Sector,
  ageGroup: AgeGroup,
  locale: Locale.default('sv'),
  consent: z.object({
    recording: z.boolean().describe('May interviews with this participant be recorded?'),
    contact: z.boolean().describe('May the participant be emailed (results, invitations)?'),
  }),
});

export const participantRoutes = [
  defineRoute({
    operationId: 'registerParticipant',
    tag: 'participants',
    method: 'POST',
    path: '/processes/{processId}/participants',
    params: ProcessParams,
    body: RegisterParticipant,
    response: {
      status: 201,
      description: 'The participant was registered with their consent',
      schema: CommandResult.extend({ participantId: Id }),
    },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) => {
      const participantId = body.participantId ?? newId();
      const { name, email, sector, ageGroup, locale, consent } = body;
      const result = await runCommand(
        caller,
        requestId,
        params.processId,
        { type: 'registerParticipant', participantId, sector, ageGroup, locale, consent },
        () => ({
          put: [
            rows.participant(caller.orgId, {
              participantId,
              processId: params.processId,
              name,
              email,
              locale,
              sector,
              ageGroup,
              consent,
              unsubscribeNonce: newUnsubscribeNonce(),
            }),
          ],
        }),
      );
      return reply.created(
        commandResult(result, { participantId }),
        `/processes/${params.processId}/participants/${participantId}`,
      );
    },
  }),

  defineRoute({
    operationId: 'eraseParticipant',
    tag: 'participants',
    method: 'DELETE',
    path: '/processes/{processId}/participants/{participantId}',
    params: ProcessParams.extend({ participantId: Id }),
    response: {
      status: 200,
      description:
        'Personal data removed, the recordings of the participant’s interviews deleted, Participant.Erased emitted',
      schema: CommandResult.extend({ participantId: Id, recordingsDeleted: z.number().int() }),
    },
    errors: [404, 409],
    handle: async ({ caller, params, requestId }) => {
      const { processId, participantId } = params;
      const { state } = await loadProcess(caller, processId);
      const known = state.participants[participantId];
      const participant = await directory().participant(caller.orgId, processId, participantId);
      if (!known || !participant) throw new NotFoundError('participant', participantId);
      if (known.erased) throw new AlreadyDoneError(`erasing ${participantId}`);
      // Recordings first: if the transaction then fails, a retry finds none left and still erases.
      const interviews = Object.entries(state.interviews)
        .filter(([, interview]) => interview.participantId === participantId)
        .map(([interviewId]) => ({ orgId: caller.orgId, placeId: state.placeId, processId, interviewId }));
      const recordingsDeleted = await deleteUnder(
        interviews.flatMap((ref) => [interviewPrefix(ref), interviewPrefix(ref, 'quarantine')]),
      );
      const erasedAt = new Date().toISOString();
      const result = await runCommand(
        caller,
        requestId,
        processId,
        { type: 'eraseParticipant', participantId, recordingsDeleted },
        () => ({ put: [rows.erasedParticipant(caller.orgId, participant, erasedAt)] }),
      );
      return reply.ok(commandResult(result, { participantId, recordingsDeleted }));
    },
  }),
];
