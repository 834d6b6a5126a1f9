/**
 * Domain errors are values with names. The API maps each `code` to one HTTP status at one edge
 * (problem+json); event handlers let them propagate so retries and failure queues see them.
 */
export type DomainErrorCode =
  | 'NotFound'
  | 'WrongStage'
  | 'AlreadyDone'
  | 'NotReady'
  | 'ProcessCompleted'
  | 'ConsentRequired'
  | 'ManualCompletionNotAllowed'
  | 'UnknownMethod'
  | 'InvalidParameter'
  | 'CausationDepthExceeded';

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  readonly code: DomainErrorCode;
  constructor(code: DomainErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Also what a command for another organisation gets: its process does not exist for the caller. */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  constructor(what: string, id: string) {
    super('NotFound', `${what} ${id} was not found`);
  }
}

export class WrongStageError extends DomainError {
  override readonly name = 'WrongStageError';
  constructor(action: string, currentStage: string, allowedIn: readonly string[]) {
    super(
      'WrongStage',
      `${action} is not possible in the ${currentStage} stage` +
        (allowedIn.length ? ` (only in: ${allowedIn.join(', ')})` : ''),
    );
  }
}

export class AlreadyDoneError extends DomainError {
  override readonly name = 'AlreadyDoneError';
  constructor(what: string) {
    super('AlreadyDone', `${what} has already been done`);
  }
}

export class NotReadyError extends DomainError {
  override readonly name = 'NotReadyError';
  constructor(what: string) {
    super('NotReady', what);
  }
}

export class ProcessCompletedError extends DomainError {
  override readonly name = 'ProcessCompletedError';
  constructor(processId: string) {
    super('ProcessCompleted', `process ${processId} is completed; it takes no more changes`);
  }
}

export class ConsentRequiredError extends DomainError {
  override readonly name = 'ConsentRequiredError';
  constructor(what: string) {
    super('ConsentRequired', `${what} requires the participant's consent to recording`);
  }
}

export class ManualCompletionNotAllowedError extends DomainError {
  override readonly name = 'ManualCompletionNotAllowedError';
  constructor(stage: string) {
    super('ManualCompletionNotAllowed', `the method does not allow completing the ${stage} stage by hand`);
  }
}

export class UnknownMethodError extends DomainError {
  override readonly name = 'UnknownMethodError';
  constructor(key: string, known: readonly string[]) {
    super('UnknownMethod', `unknown method ${key} (known: ${known.join(', ')})`);
  }
}

export class InvalidParameterError extends DomainError {
  override readonly name = 'InvalidParameterError';
  constructor(name: string, detail: string) {
    super('InvalidParameter', `parameter ${name}: ${detail}`);
  }
}

export class CausationDepthExceededError extends DomainError {
  override readonly name = 'CausationDepthExceededError';
  constructor(depth: number, limit: number) {
    super('CausationDepthExceeded', `causation depth ${depth} exceeds ${limit}: an event loop was stopped`);
  }
}
