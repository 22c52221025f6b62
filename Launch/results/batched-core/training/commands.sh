# The tutorial's recipe (7 epochs, batch 32, Adam 0.001) with the batched core at its default micro-batch (1 for
# this model) and F(4x4) Winograd: seeds 1-3 at -np 2, seed 1 also at -np 1 and -np 3 (the same weights);
# then fashion-strong's built-in recipe (22 epochs, micro-batches of 4), seeds 1-3 at -np 2 with wall clocks.
# Run one after the other on the otherwise idle 2-core machine (AMD EPYC, AVX-512), binary of this commit.
Launch/local.sh 2 train --seed 1 --verbose 2 > np2-seed1.log
Launch/local.sh 2 train --seed 2 --verbose 2 > np2-seed2.log
Launch/local.sh 2 train --seed 3 --verbose 2 > np2-seed3.log
Launch/local.sh 1 train --seed 1 --verbose 2 > np1-seed1.log
Launch/local.sh 3 train --seed 1 --verbose 2 > np3-seed1.log
Launch/fashion-strong-runs.sh Launch/results/batched-core/fashion-strong 1 2 3
# Then, for context (the criterion is seeds 1-3): seeds 4-6 at -np 2 with this build and with the build
# before the batched core (ddfd9fc, /work/baseline/tandem), alternating:
for seed in 4 5 6; do
  Launch/local.sh 2 train --seed $seed --verbose 2 > np2-seed$seed.log
  TANDEM_BINARY=<ddfd9fc build> Launch/local.sh 2 train --seed $seed --verbose 2 > before-np2-seed$seed.log
done
# np3-seed1.log was run by the next commit's binary (the optimizer's last exchange fused): the same digest.
