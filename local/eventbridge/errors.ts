/**
 * EventBridge's API errors. `name` is the `__type` the JSON 1.1 protocol puts on the wire, so the
 * unchanged AWS SDK raises the exception class of the same name (ValidationException,
 * ResourceNotFoundException, ...). The pattern matcher's InvalidEventPatternError already carries the
 * name InvalidEventPatternException and is sent as is.
 */
export class EventBridgeError extends Error {
  /** HTTP status the service answers with; EventBridge uses 400 for every client error. */
  readonly statusCode: number;

  constructor(name: string, message: string, statusCode = 400) {
    super(message);
    this.name = name;
    this.statusCode = statusCode;
  }
}

export const validation = (message: string) => new EventBridgeError('ValidationException', message);
export const notFound = (message: string) => new EventBridgeError('ResourceNotFoundException', message);
export const alreadyExists = (message: string) =>
  new EventBridgeError('ResourceAlreadyExistsException', message);
