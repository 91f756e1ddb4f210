/** The client: Spine headers, the audit JWT, the proxy URL, error mapping, transport failures. */
import t from 'tap';
import {
  decodeAuditToken,
  errorCodeOf,
  GpConnectClient,
  INTERACTION,
  isValidNhsNumber,
} from '../src/index.ts';
import { startSandbox } from './helpers.ts';

const signal = new AbortController().signal;

t.test('every call carries the Spine headers and an unsigned audit JWT', async (t) => {
  const { sandbox, connection } = await startSandbox(1);
  t.teardown(() => sandbox.close());
  const client = new GpConnectClient(connection, { now: () => 1_700_000_000_000 });
  const headers = client.headersFor(INTERACTION.SEARCH_SLOT);
  t.equal(headers['ssp-from'], connection.consumerAsid);
  t.equal(headers['ssp-to'], connection.providerAsid);
  t.equal(headers['ssp-interactionid'], 'urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1');
  t.match(headers['ssp-traceid'], /^[0-9a-f-]{36}$/);
  const token = decodeAuditToken(headers.authorization!.replace('Bearer ', ''))!;
  t.same(token.header, { alg: 'none', typ: 'JWT' });
  t.equal(token.claims.exp - token.claims.iat, 300);
  t.equal(token.claims.requested_scope, 'organization/*.read');
  t.equal(client.headersFor(INTERACTION.CREATE_APPOINTMENT).authorization === headers.authorization, false);
  const book = decodeAuditToken(client.headersFor(INTERACTION.CREATE_APPOINTMENT).authorization!.slice(7))!;
  t.equal(book.claims.requested_scope, 'patient/*.write');
  t.equal(book.claims.sub, (book.claims.requesting_practitioner as { id: string }).id);
  t.match(book.claims.requesting_organization, { identifier: [{ value: connection.consumerOdsCode }] });
  // Through the sandbox, which checks them all.
  const statement = await new GpConnectClient(connection).capabilityStatement(signal);
  t.equal(statement.version, '1.2.7');
  t.same(
    sandbox.calls.map((c) => c.operation),
    ['ReadMetadata'],
    'the call is logged by the sandbox',
  );
});

t.test('the Spine Secure Proxy prefixes the provider URL', async (t) => {
  const client = new GpConnectClient({
    baseUrl: 'https://provider.example.nhs.uk/A81001/STU3/1/',
    sspUrl: 'https://proxy.intspine.nhs.uk',
    odsCode: 'A81001',
    providerAsid: '918999198738',
    consumerAsid: '200000000359',
    consumerOdsCode: 'X26',
    consumerOrganisationName: 'X',
    consumerOrganisationPhone: '0300 123 4567',
  });
  t.equal(
    client.urlOf('/metadata').toString(),
    'https://proxy.intspine.nhs.uk/https://provider.example.nhs.uk/A81001/STU3/1/metadata',
  );
});

t.test('error answers map to the table through the Spine error code and status', async (t) => {
  t.equal(errorCodeOf(INTERACTION.CREATE_APPOINTMENT, 409, 'DUPLICATE_REJECTED'), 'GPCONNECT_ERR_SLOT_TAKEN');
  t.equal(
    errorCodeOf(INTERACTION.CANCEL_APPOINTMENT, 409, 'FHIR_CONSTRAINT_VIOLATION'),
    'GPCONNECT_ERR_VERSION_CONFLICT',
  );
  t.equal(
    errorCodeOf(INTERACTION.UPDATE_APPOINTMENT, 412, 'PRECONDITION_FAILED'),
    'GPCONNECT_ERR_VERSION_CONFLICT',
  );
  t.equal(errorCodeOf(INTERACTION.SEARCH_SLOT, 403, 'ACCESS_DENIED'), 'GPCONNECT_ERR_ACCESS_DENIED');
  t.equal(errorCodeOf(INTERACTION.SEARCH_SLOT, 422, 'INVALID_PARAMETER'), 'GPCONNECT_ERR_INVALID_PARAMETER');
  t.equal(errorCodeOf(INTERACTION.READ_APPOINTMENT, 404, 'NO_RECORD_FOUND'), 'GPCONNECT_ERR_NOT_FOUND');
  t.equal(
    errorCodeOf(INTERACTION.CREATE_APPOINTMENT, 422, 'INVALID_RESOURCE'),
    'GPCONNECT_ERR_INVALID_RESOURCE',
  );
  t.equal(errorCodeOf(INTERACTION.SEARCH_PATIENT, 400, 'BAD_REQUEST'), 'GPCONNECT_ERR_BAD_REQUEST');
  t.equal(errorCodeOf(INTERACTION.SEARCH_SLOT, 503, null), 'GPCONNECT_ERR_PROVIDER_UNAVAILABLE');
  t.equal(errorCodeOf(INTERACTION.SEARCH_SLOT, 501, 'NOT_IMPLEMENTED'), 'GPCONNECT_ERR_NOT_IMPLEMENTED');
  t.equal(errorCodeOf(INTERACTION.SEARCH_SLOT, 418, 'SOMETHING_ELSE'), 'GPCONNECT_ERR_REFUSED');
});

t.test('the sandbox refuses bad calls as the Spine and the standard do', async (t) => {
  const { sandbox, connection } = await startSandbox(1);
  t.teardown(() => sandbox.close());
  const wrongAsid = new GpConnectClient({ ...connection, consumerAsid: '111111111111' });
  t.match(await wrongAsid.capabilityStatement(signal).catch((e) => e), {
    code: 'GPCONNECT_ERR_ACCESS_DENIED',
    kind: 'auth_failed',
  });
  const client = new GpConnectClient(connection);
  const start = new Date();
  const tooLong = await client
    .searchFreeSlots({ start, end: new Date(start.getTime() + 15 * 86_400_000) }, 'Europe/London', signal)
    .catch((e) => e);
  t.match(
    tooLong,
    { code: 'GPCONNECT_ERR_INVALID_PARAMETER', details: { httpStatus: 422, spineCode: 'INVALID_PARAMETER' } },
    'more than 14 days: 422 INVALID_PARAMETER',
  );
  t.match(await client.readAppointment('999', signal).catch((e) => e), { code: 'GPCONNECT_ERR_NOT_FOUND' });
});

t.test('transport failures are transient, with stable codes', async (t) => {
  const { sandbox, connection } = await startSandbox(1);
  t.teardown(() => sandbox.close());
  const client = new GpConnectClient({ ...connection, timeoutMs: 500 });
  sandbox.faults.add({ operation: 'ReadMetadata', kind: 'hang' });
  t.match(await client.capabilityStatement(signal).catch((e) => e), {
    code: 'GPCONNECT_ERR_TIMEOUT',
    kind: 'transient',
  });
  sandbox.faults.add({ operation: 'ReadMetadata', kind: 'drop' });
  t.match(await client.capabilityStatement(signal).catch((e) => e), {
    code: 'GPCONNECT_ERR_CONNECTION_DROPPED',
    kind: 'transient',
  });
  sandbox.faults.add({ operation: 'ReadMetadata', kind: 'error', status: 500 });
  t.match(await client.capabilityStatement(signal).catch((e) => e), {
    code: 'GPCONNECT_ERR_PROVIDER_UNAVAILABLE',
    kind: 'transient',
  });
  const aborted = new AbortController();
  aborted.abort();
  t.match(await client.capabilityStatement(aborted.signal).catch((e) => e), {
    code: 'GPCONNECT_ERR_CANCELLED',
  });
  await sandbox.close();
  const closed = await client.capabilityStatement(signal).catch((e) => e);
  t.match(closed, { kind: 'transient' });
  t.ok(['GPCONNECT_ERR_UNREACHABLE', 'GPCONNECT_ERR_CONNECTION_DROPPED'].includes(closed.code), closed.code);
});

t.test('NHS number check digits', async (t) => {
  t.ok(isValidNhsNumber('9434765919'));
  t.notOk(isValidNhsNumber('9434765918'));
  t.notOk(isValidNhsNumber('943476591'));
});
