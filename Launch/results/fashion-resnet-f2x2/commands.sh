# Does F(2x2) give fashion-resnet the accuracy F(4x4) seems to cost the tutorial (README)? Its built-in
# recipe, seeds 1-3 (those of ../fashion-resnet), -np 2, with --convolution winograd (F(2x2) on every 3x3
# convolution; auto gives F(4x4) to five of them), one after the other on the otherwise idle 2-core VM,
# 2026-12-07, binary of 18b821f. `mpirun -np 2 tandem bench` (the tutorial) ran at 3,916 images/s just before.
for seed in 1 2 3; do
  /usr/bin/time -v Launch/local.sh 2 train --model fashion-resnet --seed $seed --convolution winograd \
      --history np2-seed$seed.csv --verbose 2 > np2-seed$seed.log 2>&1
done
