import { describeAccountRecovery } from './account-recovery';
import { describeClients } from './clients';
import { describeEmployees } from './employees';
import { describeHygiene } from './hygiene';
import { describeOrganizations } from './organizations';
import { describePagination } from './pagination';
import { describeSessions } from './sessions';
import { Api, type ContractTarget } from './target';
import { describeTwoFactor } from './two-factor';
import { describeUsersAndEmails } from './users';

export { Api, type ContractTarget, type Reply, type SendOptions } from './target';

/** Declares the whole HTTP contract against a target (read lazily: targets are built in `beforeAll`). */
export function describeContract(target: () => ContractTarget): void {
  const api = new Api(target);
  describeUsersAndEmails(api);
  describeSessions(api);
  describeAccountRecovery(api);
  describeTwoFactor(api);
  describeOrganizations(api);
  describeClients(api);
  describeEmployees(api);
  describePagination(api);
  describeHygiene(api);
}
