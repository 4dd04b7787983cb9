"""Skip-prediction baselines (SPEC 4): Random, the position priors, and the contract a learned one follows."""
