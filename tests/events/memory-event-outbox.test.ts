import { MemoryEventOutbox } from '../../src/adapters/memory/memory-event-outbox';
import { describeOutboxContract } from './outbox-contract';

describe('MemoryEventOutbox', () => {
  describeOutboxContract(async () => new MemoryEventOutbox());
});
