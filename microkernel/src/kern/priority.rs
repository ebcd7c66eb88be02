//! Priority that decays with recent CPU use, as Mach 3 computes it: a
//! thread accumulates usage for every clock tick it runs, usage decays by
//! 5/8 every second, and the scheduled priority is the base priority plus
//! usage scaled down. A thread that computes sinks; one that mostly waits
//! (an interactive program, a server answering requests) keeps its base.

use super::sched::NRQS;

/// Clock ticks per decay period (one second at HZ = 100).
pub const DECAY_TICKS: u64 = 100;
/// Usage added per tick of CPU time.
pub const USAGE_PER_TICK: u32 = 1;
/// Usage is shifted right by this much to give priority levels.
pub const PRI_SHIFT: u32 = 4;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuUsage {
    usage: u32,
    /// Tick at which `usage` was last decayed.
    stamp: u64,
}

impl CpuUsage {
    pub const ZERO: CpuUsage = CpuUsage { usage: 0, stamp: 0 };

    /// Applies the decay for the whole periods elapsed up to `now`.
    pub fn decay_to(&mut self, now: u64) {
        let periods = now.saturating_sub(self.stamp) / DECAY_TICKS;
        if periods == 0 {
            return;
        }
        // After 32 periods any usage has decayed to nothing.
        for _ in 0..periods.min(32) {
            self.usage = self.usage * 5 / 8;
        }
        if periods >= 32 {
            self.usage = 0;
        }
        self.stamp += periods * DECAY_TICKS;
    }

    /// Charges one tick of CPU time at `now`.
    pub fn charge_tick(&mut self, now: u64) {
        self.decay_to(now);
        self.usage = self.usage.saturating_add(USAGE_PER_TICK);
    }

    pub fn usage(&self) -> u32 {
        self.usage
    }

    /// The priority to schedule at (0 is highest), never below `base` and
    /// never past the lowest level.
    pub fn priority(&self, base: u8) -> u8 {
        let p = base as u32 + (self.usage >> PRI_SHIFT);
        p.min(NRQS as u32 - 1) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computing_lowers_priority_and_waiting_restores_it() {
        let mut u = CpuUsage::default();
        for t in 0..300 {
            u.charge_tick(t);
        }
        let busy = u.priority(12);
        assert!(busy >= 12 + 8, "a thread that ran 3 s solid sinks: {}", busy);
        u.decay_to(300 + 10 * DECAY_TICKS);
        assert_eq!(u.priority(12), 12, "ten idle seconds restore the base priority");
    }

    #[test]
    fn usage_converges_under_constant_load() {
        let mut u = CpuUsage::default();
        for t in 0..(60 * DECAY_TICKS) {
            u.charge_tick(t);
        }
        // At each period's start, the fixed point of u = (u + 100) * 5/8
        // is about 166 (and 266 just before the decay).
        u.decay_to(60 * DECAY_TICKS);
        assert!((150..=175).contains(&u.usage()), "usage {}", u.usage());
        assert!(u.priority(30) == 31, "clamped to the lowest level");
    }

    #[test]
    fn long_sleep_clears_usage_without_looping_forever() {
        let mut u = CpuUsage::default();
        for t in 0..50 {
            u.charge_tick(t);
        }
        u.decay_to(u64::MAX / 2);
        assert_eq!(u.usage(), 0);
    }
}
