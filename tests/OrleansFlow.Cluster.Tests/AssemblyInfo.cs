// In-process silos share static state and the machine has two cores: one cluster at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
