package events

// QualityBreached is published when a quality rule of an instance breached
// or could not run; the rule results are in the metadata store under the
// instance's ID.
const QualityBreached Kind = "quality.breached"
