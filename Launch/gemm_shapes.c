// Single-thread sgemm rate of OpenBLAS and libxsmm on this model's GEMM shapes (M x K x N, row-major).
// A development measurement behind Docs/performance.md ("libxsmm was no faster"); not part of the build.
//   apt-get install libxsmm-dev
//   gcc -O2 Launch/gemm_shapes.c -o /tmp/gemm_shapes -lopenblas -lxsmm -lm -lpthread
//   OPENBLAS_NUM_THREADS=1 /tmp/gemm_shapes
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <libxsmm.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  int shapes[][3]={{32,64,196},{64,32,196},{32,196,64},{32,576,784},{64,9,784},{576,32,784},{32,784,576},{16,288,196},{32,32,49},{32,64,784},{128,72,1},{32,64,49}};
  float *A=malloc(4*1<<22),*B=malloc(4*1<<22),*C=malloc(4*1<<22);
  for(int i=0;i<1<<20;i++){A[i]=rand()/(float)RAND_MAX;B[i]=rand()/(float)RAND_MAX;C[i]=0;}
  for(int s=0;s<12;s++){int M=shapes[s][0],K=shapes[s][1],N=shapes[s][2];
    double flops=2.0*M*N*K; int reps=(int)(2e9/flops)+1;
    double best=1e9; for(int r=0;r<5;r++){double t=now(); for(int i=0;i<reps;i++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,N,K,1,A,K,B,N,0,C,N); t=now()-t; if(t<best)best=t;}
    // libxsmm: column-major; C^T = B^T A^T  -> m=N, n=M, k=K
    libxsmm_smmfunction f = libxsmm_smmdispatch(N,M,K,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
    double bestx=1e9; if(f){ for(int r=0;r<5;r++){double t=now(); for(int i=0;i<reps;i++) f(B,A,C); t=now()-t; if(t<bestx)bestx=t;} }
    printf("%4dx%4dx%4d openblas %6.1f GF/s  xsmm %6.1f GF/s\n",M,K,N,flops*reps/best/1e9, f?flops*reps/bestx/1e9:0);
  }
}
