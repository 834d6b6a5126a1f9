/** The local API Gateway HTTP API (payload format 2.0, JWT authorizer) and its development tokens. */
export {
  type Authorization,
  type AuthorizerClaims,
  authorizerClaims,
  type DevelopmentTokenClaims,
  issueDevelopmentToken,
  jwtAuthorizer,
  LOCAL_JWT_AUDIENCE,
  LOCAL_JWT_ISSUER,
  loadOrCreateSigningKey,
  type SigningKey,
} from './auth.ts';
export {
  type HttpApi,
  type InProcessRoute,
  type InProcessRouteContext,
  type InvokeSync,
  type StartHttpApiOptions,
  startHttpApi,
  UnknownPublicRouteError,
} from './http-api.ts';
export { fromLambdaResult, type HttpApiEvent, isTextContentType, toHttpApiEvent } from './payload.ts';
export { DuplicateRouteError, httpRoutesOf, RouteTable, routeKeyOf } from './routes.ts';
