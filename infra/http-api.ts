/**
 * The HTTP API: every `http` route of the topology behind one JWT authorizer, throttled, with CORS
 * for the console and access logs. The JWT comes from the Cognito user pool this construct creates
 * (users carry `custom:orgId` and `custom:role`, the claims the API reads, as the local runtime's
 * development tokens do) or, with `jwtIssuer`/`jwtAudience` in context, from another issuer.
 */
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Route } from './pipeline-functions.ts';

/** Claims the API reads from the verified token; custom attributes of the user pool. */
export const CLAIM_ATTRIBUTES = { orgId: 'orgId', role: 'role' } as const;

export interface ApiAuthProps {
  /** Prefix of the hosted sign-in domain, unique in the region. */
  domainPrefix: string;
  /** Where the hosted sign-in may send users back: the console and any local origins. */
  callbackOrigins: string[];
  /** An external issuer instead of the user pool. */
  jwtIssuer: string | undefined;
  jwtAudience: string[];
}

/** Who may call the API: a Cognito user pool of the app, or an external JWT issuer. */
export class ApiAuth extends Construct {
  readonly authorizer: apigw.IHttpRouteAuthorizer;
  readonly userPool: cognito.UserPool | undefined;
  readonly client: cognito.UserPoolClient | undefined;
  readonly domain: cognito.UserPoolDomain | undefined;
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: ApiAuthProps) {
    super(scope, id);
    if (props.jwtIssuer) {
      this.issuer = props.jwtIssuer;
      this.authorizer = new HttpJwtAuthorizer('Jwt', props.jwtIssuer, { jwtAudience: props.jwtAudience });
      this.userPool = undefined;
      this.client = undefined;
      this.domain = undefined;
      return;
    }
    this.userPool = new cognito.UserPool(this, 'Users', {
      // Operators are invited by an administrator (README: first organisation and user).
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
      },
      customAttributes: {
        [CLAIM_ATTRIBUTES.orgId]: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
        [CLAIM_ATTRIBUTES.role]: new cognito.StringAttribute({ minLen: 1, maxLen: 32, mutable: true }),
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Essentials tier: free for the few operators of an organisation, while the Plus tier bills every monthly ' +
        'active user. Self sign-up is off, MFA (TOTP) is required and passwords are strong.',
    });
    this.domain = this.userPool.addDomain('SignIn', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.client = this.userPool.addClient('Console', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackOrigins.map((origin) => `${origin}/`),
        logoutUrls: props.callbackOrigins.map((origin) => `${origin}/`),
      },
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(7),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes(CLAIM_ATTRIBUTES.orgId, CLAIM_ATTRIBUTES.role),
      // Users may not write their own organisation or role: only administrators set those.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.${Aws.URL_SUFFIX}/${this.userPool.userPoolId}`;
    // The API reads the organisation and role from the ID token, whose audience is the client.
    this.authorizer = new HttpUserPoolAuthorizer('Users', this.userPool, { userPoolClients: [this.client] });
  }
}

export interface PipelineApiProps {
  apiName: string;
  auth: ApiAuth;
  corsOrigins: string[];
  rateLimit: number;
  burstLimit: number;
  logRetentionDays: number;
}

export class PipelineApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: PipelineApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: props.apiName,
      description: 'samskapa: the pipeline API',
      createDefaultStage: false,
      defaultAuthorizer: props.auth.authorizer,
      corsPreflight: {
        allowOrigins: props.corsOrigins,
        allowMethods: [
          apigw.CorsHttpMethod.GET,
          apigw.CorsHttpMethod.POST,
          apigw.CorsHttpMethod.PUT,
          apigw.CorsHttpMethod.PATCH,
          apigw.CorsHttpMethod.DELETE,
          apigw.CorsHttpMethod.OPTIONS,
        ],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        exposeHeaders: ['location'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/vendedlogs/apigateway/${props.apiName}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
            ip: '$context.identity.sourceIp',
          }),
        ),
      },
    });
  }

  /** The stage's URL, ending in a slash. */
  get url(): string {
    return this.stage.url;
  }

  /** The topology's routes; `auth: 'none'` routes are the few the route table makes public. */
  addRoutes(routes: Route[]): void {
    // One integration per function, shared by its routes.
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of routes) {
      const name = route.declaration.name;
      let integration = integrations.get(name);
      if (!integration) {
        // One invoke permission for the API instead of one per route: the function's resource
        // policy stays small however many routes the route table grows.
        integration = new HttpLambdaIntegration(`${name}-integration`, route.fn, {
          scopePermissionToRoute: false,
        });
        integrations.set(name, integration);
      }
      const [created] = this.api.addRoutes({
        path: route.trigger.path,
        methods: [apigw.HttpMethod[route.trigger.method]],
        integration,
        ...(route.trigger.auth === 'none' ? { authorizer: new apigw.HttpNoneAuthorizer() } : {}),
      });
      if (created && route.trigger.auth === 'none') {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Public by design in functions/api/route-table.ts (auth: none): the OpenAPI document, the ' +
            'unsubscribe and report links in emails and published guides must open without an account.',
        });
      }
    }
  }
}
