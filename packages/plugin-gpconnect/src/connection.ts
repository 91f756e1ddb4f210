/**
 * What a practice (with its booking partner) enters to connect slotbridge to the practice's GP
 * Connect provider. GP Connect is reached through the Spine Secure Proxy (SSP) over TLS mutual
 * authentication: the partner's Spine-issued client certificate and key identify the consumer
 * system, the ASIDs name the two ends to the SSP, and an unsigned JWT carries the audit claims.
 * The key is `writeOnly`: the core stores it encrypted and never returns it. The core does not
 * fill defaults in: the client applies them.
 */
import { type Static, Type } from 'typebox';

export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_CONSUMER_ORGANISATION_TYPE = 'gp-practice';

const ODS_CODE = '^[A-Z0-9]{3,10}$';
const ASID = '^[0-9]{12}$';
const PEM = '^-----BEGIN [A-Z0-9 ]+-----[\\s\\S]+-----END [A-Z0-9 ]+-----\\s*$';

export const connectionSchema = Type.Object(
  {
    baseUrl: Type.String({
      title: 'provider FHIR base URL',
      format: 'uri',
      pattern: '^https?://\\S+$',
      description:
        "The practice's GP Connect FHIR base URL, as the Spine Directory Service lists it for the practice " +
        '(its nhsMhsEndPoint), e.g. https://provider.example.nhs.uk/A81001/STU3/1. The supplier of the ' +
        "practice's clinical system or the partner's Spine onboarding pack gives it.",
      examples: ['https://provider.example.nhs.uk/A81001/STU3/1'],
    }),
    sspUrl: Type.Optional(
      Type.String({
        title: 'Spine Secure Proxy URL',
        format: 'uri',
        pattern: '^https?://\\S+$',
        description:
          'The Spine Secure Proxy every GP Connect call goes through, e.g. https://proxy.intspine.nhs.uk ' +
          '(calls are sent to <proxy>/<provider FHIR base URL>/…). Leave empty only to call the provider ' +
          'directly (a test provider or the slotbridge sandbox).',
      }),
    ),
    odsCode: Type.String({
      title: 'practice ODS code',
      pattern: ODS_CODE,
      description:
        "The practice's ODS code (capitals), e.g. A81001: the organisation the appointments are at.",
      examples: ['A81001'],
    }),
    providerAsid: Type.String({
      title: 'provider ASID',
      pattern: ASID,
      description:
        "The 12-digit Accredited System ID of the practice's GP Connect provider system, as the Spine " +
        'Directory Service lists it for the practice; sent as Ssp-To.',
    }),
    consumerAsid: Type.String({
      title: 'consumer ASID',
      pattern: ASID,
      description:
        "The 12-digit Accredited System ID NHS England issued to the partner's booking product when it was " +
        'assured for GP Connect Appointment Management; sent as Ssp-From.',
    }),
    consumerOdsCode: Type.String({
      title: 'booking organisation ODS code',
      pattern: ODS_CODE,
      description:
        'The ODS code of the organisation booking the appointments (the partner, or the practice when it books ' +
        'for itself): sent as the booking organisation and in the audit token.',
    }),
    consumerOrganisationName: Type.String({
      title: 'booking organisation name',
      minLength: 1,
      maxLength: 200,
      description: 'The name of the booking organisation, as the practice should see it on each appointment.',
    }),
    consumerOrganisationPhone: Type.String({
      title: 'booking organisation phone',
      minLength: 5,
      maxLength: 40,
      description:
        'A telephone number the practice can call the booking organisation on about an appointment; GP ' +
        'Connect requires it on every booking.',
    }),
    consumerOrganisationType: Type.Optional(
      Type.String({
        title: 'booking organisation type',
        pattern: '^[a-z0-9-]+$',
        description:
          'The GP Connect organisation type of the booking organisation (GPConnect-OrganisationType-1), used to ' +
          `find the slots the practice released to it. Default ${DEFAULT_CONSUMER_ORGANISATION_TYPE}.`,
      }),
    ),
    requestingUserId: Type.Optional(
      Type.String({
        title: 'responsible user ID',
        minLength: 1,
        maxLength: 100,
        description:
          "The booking partner's user ID of the person accountable for these bookings, sent in the audit " +
          'token as the requesting practitioner. Default: the booking organisation ODS code.',
      }),
    ),
    requestingUserName: Type.Optional(
      Type.String({
        title: 'responsible user name',
        minLength: 1,
        maxLength: 100,
        description:
          'That person\'s name as "Family, Given" (e.g. "Jones, Claire"), for the audit token. Default: the ' +
          'booking organisation name.',
      }),
    ),
    clientCertificatePem: Type.Optional(
      Type.String({
        title: 'TLS client certificate',
        pattern: PEM,
        contentMediaType: 'application/x-pem-file',
        description:
          "The partner's Spine-issued TLS client certificate (PEM, from the NHS England onboarding team), " +
          'presented for mutual TLS when the URL is https.',
      }),
    ),
    clientKeyPem: Type.Optional(
      Type.String({
        title: 'TLS client key',
        pattern: PEM,
        contentMediaType: 'application/x-pem-file',
        writeOnly: true,
        description:
          'The private key of that certificate (PEM). Secret: stored encrypted, never shown again.',
      }),
    ),
    caCertificatePem: Type.Optional(
      Type.String({
        title: 'Spine CA certificates',
        pattern: PEM,
        contentMediaType: 'application/x-pem-file',
        description:
          "The Spine root and sub-CA certificates (PEM) the proxy's certificate is checked against. Default: the " +
          "system's trusted certificates.",
      }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        title: 'timeout',
        minimum: 500,
        maximum: 120_000,
        description: `How long to wait for one GP Connect answer, in milliseconds. Default ${DEFAULT_TIMEOUT_MS}.`,
      }),
    ),
  },
  {
    $id: 'GpConnectConnection',
    additionalProperties: false,
    description:
      'Connection to a practice through NHS GP Connect Appointment Management 1.2.7 (FHIR STU3 over mutual TLS, ' +
      'through the Spine Secure Proxy).',
  },
);

export type GpConnectConnection = Static<typeof connectionSchema>;
