/**
 * The operations console as a static site: a private bucket behind CloudFront (origin access
 * control), deployed from `console/dist` with a `config.json` generated at deploy time that tells the
 * page where the API and the sign-in are. While the console is not built yet, a placeholder page
 * is deployed instead, so synth never depends on it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  Aws,
  DefaultStackSynthesizer,
  Duration,
  RemovalPolicy,
  Stack,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as deployment from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../console/src/config.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import { REPOSITORY_ROOT } from './pipeline-functions.ts';

export interface ConsoleSiteProps {
  /** The console's build output, relative to the repository root or absolute. */
  dist: string;
  accessLogs: s3.IBucket;
  logRetentionDays: number;
}

export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly #props: ConsoleSiteProps;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.#props = props;
    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console/',
      // Built files only: the deployment puts them back on every deploy.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'samskapa operations console',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      defaultRootObject: 'index.html',
      // A single-page app: unknown paths are the app's own routes.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      enableLogging: true,
      logBucket: props.accessLogs,
      logFilePrefix: 'cloudfront/',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The console serves operators of regional organisations wherever they travel; sign-in guards it.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'A WAF web ACL costs from $5 a month even when idle; the site is static files, and the API behind ' +
          'it requires a JWT on every route and is throttled.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'No custom domain: the default *.cloudfront.net certificate cannot pin a minimum TLS version. Set a ' +
          'domain and certificate to enforce TLSv1.2_2021.',
      },
    );
  }

  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /** Uploads the console (or the placeholder) and its config.json; call once the API exists. */
  deploy(config: ConsoleConfig): void {
    const dist = isAbsolute(this.#props.dist) ? this.#props.dist : join(REPOSITORY_ROOT, this.#props.dist);
    const files = existsSync(join(dist, 'index.html')) ? dist : this.#placeholder();
    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: this.#props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role: the default one carries the AWS managed AWSLambdaBasicExecutionRole.
    const role = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the console files into the console bucket at deploy time',
    });
    logGroup.grantWrite(role);
    new deployment.BucketDeployment(this, 'Deployment', {
      sources: [deployment.Source.asset(files), deployment.Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      role,
      logGroup,
      memoryLimit: 256,
      // Every file is revalidated, so a deploy shows at once without a CloudFront invalidation.
      cacheControl: [deployment.CacheControl.noCache()],
      prune: true,
      retainOnDelete: false,
    });
    this.#acknowledgeDeploymentHelper(role);
  }

  /** A page that says the console is not built yet, written where synth writes its output. */
  #placeholder(): string {
    const dir = join(Stage.of(this)?.outdir ?? '.', 'console-placeholder');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'index.html'),
      [
        '<!doctype html>',
        '<html lang="en"><head><meta charset="utf-8"><title>samskapa</title></head>',
        '<body><h1>samskapa</h1>',
        '<p>The operations console was not built when this stack was deployed. Run <code>npm run build</code> ',
        'in <code>console/</code> and deploy again; the API is listed in <a href="config.json">config.json</a>.</p>',
        '</body></html>',
        '',
      ].join('\n'),
    );
    return dir;
  }

  /** The wildcard grants aws-s3-deployment gives its handler, each explained. */
  #acknowledgeDeploymentHelper(role: iam.Role): void {
    const reason =
      'Granted by aws-s3-deployment to the handler that copies the console files at deploy time: it reads ' +
      'the CDK asset objects and replaces every object of the console bucket, whose keys are only known then.';
    for (const finding of [
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
    ]) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
    const stack = Stack.of(this);
    const qualifier = stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    acknowledgeWildcardResource(
      role,
      `arn:${Aws.PARTITION}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`,
      reason,
    );
    acknowledgeWildcardResource(role, this.bucket.arnForObjects('*'), reason);
  }
}
