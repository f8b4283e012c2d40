# Sourced by bench/scale-out.sh and bench/scale-out-ceiling.sh: the one job both time, so that the cluster's ratio
# and the machine's ceiling measure the same work (digits-rf, the digits-eval features and reference batch by
# registry name, FID only). scale_out_job SAMPLES SAMPLER SHARD_SIZE BATCH_SIZE sets the array scale_out_job_args.
scale_out_job() {
  scale_out_job_args=(fid --model digits-rf --features digits-eval --reference digits-eval --metrics fid
    --sampler "$2" --samples "$1" --shard-size "$3" --batch-size "$4" --quiet)
}
