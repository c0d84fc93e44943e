/**
 * The real clock of a worker process, aligned to the run that sent the job: scenario time counts
 * from the run's origin (an epoch instant) at the run's time scale, so pick-up, end and ledger
 * times a worker reports land on the run's own timeline. Across machines this is as good as
 * their clocks agree (NTP: about a millisecond, times the time scale).
 */
import { RealClock } from './real-clock.ts';
import { epochNowMs } from './protocol.ts';

/** A real clock whose zero is an epoch instant shared with another process. */
export class EpochClock extends RealClock {
  constructor(
    /** Scenario time 0, epoch ms; settable, as a worker learns it from the run's jobs. */
    public originEpochMs: number,
    timeScale = 1,
  ) {
    super(timeScale);
  }

  override now(): number {
    return (epochNowMs() - this.originEpochMs) * this.timeScale;
  }
}
