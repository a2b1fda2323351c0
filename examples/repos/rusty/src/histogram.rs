/// Fixed-width histogram over a closed range; values outside are counted apart.
#[derive(Debug, Clone)]
pub struct Histogram {
    low: f64,
    width: f64,
    bins: Vec<u64>,
    below: u64,
    above: u64,
}

impl Histogram {
    pub fn new(low: f64, high: f64, bins: usize) -> Self {
        assert!(high > low && bins > 0, "invalid histogram range");
        Self {
            low,
            width: (high - low) / bins as f64,
            bins: vec![0; bins],
            below: 0,
            above: 0,
        }
    }

    pub fn add(&mut self, x: f64) {
        if x < self.low {
            self.below += 1;
            return;
        }
        let index = ((x - self.low) / self.width) as usize;
        match self.bins.get_mut(index) {
            Some(bin) => *bin += 1,
            None if index == self.bins.len() && x == self.low + self.width * index as f64 => {
                *self.bins.last_mut().unwrap() += 1
            }
            None => self.above += 1,
        }
    }

    pub fn bins(&self) -> &[u64] {
        &self.bins
    }

    pub fn outliers(&self) -> (u64, u64) {
        (self.below, self.above)
    }
}
