# More seeds for the question of ../training-f2x2 and ../training-im2col: does F(4x4) cost the tutorial
# accuracy, or did seeds 1-3 draw badly? First seed 1 with auto again (today's binary must reproduce the
# batched core's log in ../training bit for bit), then seeds 7-9 (fixed before any was run), auto (F(4x4))
# and --convolution winograd (F(2x2)) alternating, -np 2, one after the other on the 2-core machine
# (AMD EPYC, AVX-512), 2026-12-07, binary of the commit after 92f53c6 (depthwise kernels; the tutorial has none).
Launch/local.sh 2 train --seed 1 --verbose 2 > auto-np2-seed1.log
for seed in 7 8 9; do
  Launch/local.sh 2 train --seed $seed --verbose 2 > auto-np2-seed$seed.log
  Launch/local.sh 2 train --seed $seed --convolution winograd --verbose 2 > f2x2-np2-seed$seed.log
done
