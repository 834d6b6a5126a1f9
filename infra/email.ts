/**
 * Email: the SES identity the pipeline sends from (a domain or an address, from context) and a
 * configuration set whose bounces, complaints, rejects and rendering failures go to EventBridge. SES
 * can only publish to the default bus, so a rule forwards this configuration set's events onto the
 * pipeline bus, where a topology rule (on `default`, as locally) turns them into Notification.Failed.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { EMAIL_FAILURE_TYPES, INFRASTRUCTURE_RULES, type PipelineBus } from './event-bus.ts';

export interface EmailProps {
  /** A domain (`example.org`) or an address (`ops@example.org`). */
  identity: string;
  sender: string;
  configurationSetName: string;
  bus: PipelineBus;
}

export class Email extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly configurationSetName: string;
  readonly sender: string;

  constructor(scope: Construct, id: string, props: EmailProps) {
    super(scope, id);
    this.sender = props.sender;
    this.configurationSetName = props.configurationSetName;
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: props.configurationSetName,
      reputationMetrics: true,
      sendingEnabled: true,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    this.configurationSet.addEventDestination('FailuresToEventBridge', {
      destination: ses.EventDestination.eventBus(props.bus.defaultBus),
      events: [
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.RENDERING_FAILURE,
      ],
    });
    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity: props.identity.includes('@')
        ? ses.Identity.email(props.identity)
        : ses.Identity.domain(props.identity),
      // Every message sent from the identity uses the configuration set, even without naming it.
      configurationSet: this.configurationSet,
    });

    props.bus.forwardFromDefaultBus(
      INFRASTRUCTURE_RULES.email,
      {
        source: ['aws.ses'],
        detailType: EMAIL_FAILURE_TYPES,
        detail: { mail: { tags: { 'ses:configuration-set': [props.configurationSetName] } } },
      },
      'Forwards the bounces and complaints of the emails of this stack to the pipeline bus',
    );
  }

  get configurationSetArn(): string {
    return Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSetName,
    });
  }

  /** ses:SendEmail from the sender address of this identity with this configuration set, nothing else. */
  grantSend(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [this.identity.emailIdentityArn, this.configurationSetArn],
        conditions: { StringEquals: { 'ses:FromAddress': this.sender } },
      }),
    );
  }
}
