/* The cipher microbenchmark of issue 11, item 8 (docs/BENCHMARKS.md): ns per call of one seal of LEN bytes
 * (16 bytes of associated data, in place), best of 7 runs of 100,000 calls, thread CPU time: libsodium's
 * ChaCha20-Poly1305 IETF (what mlink uses) and its two passes alone, SipHash-2-4 of 36 bytes (the copy tag),
 * OpenSSL 3's ChaCha20-Poly1305 and AES-256-GCM, libsodium's AES-256-GCM.
 *
 *   gcc -O2 scripts/cipher-bench.c -o /tmp/cipher-bench -lsodium -lcrypto && /tmp/cipher-bench 1400
 *
 * Needs libsodium-dev and libssl-dev (the latter only for this program; mlink does not link OpenSSL). */
#include <sodium.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
static double cpu(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define N 100000
int main(int argc,char**argv){
  int len=argc>1?atoi(argv[1]):1400;
  unsigned char key[32]={1},nonce[12]={0},ad[16]={2},tag[16],h[8];
  static unsigned char buf[65536]; memset(buf,7,sizeof buf);
  if(sodium_init()<0) return 1;
  EVP_CIPHER_CTX*ctx=EVP_CIPHER_CTX_new(); EVP_EncryptInit_ex(ctx,EVP_chacha20_poly1305(),NULL,key,NULL);
  EVP_CIPHER_CTX*gctx=EVP_CIPHER_CTX_new(); EVP_EncryptInit_ex(gctx,EVP_aes_256_gcm(),NULL,key,NULL);
  crypto_aead_aes256gcm_state st; int aes=crypto_aead_aes256gcm_is_available(); if(aes) crypto_aead_aes256gcm_beforenm(&st,key);
  double best[7]; for(int k=0;k<7;k++) best[k]=1e9;
  for(int round=0;round<7;round++){
    double t[8]; int ol;
    t[0]=cpu(); for(int i=0;i<N;i++){ nonce[4]=i; crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf,tag,NULL,buf,len,ad,16,NULL,nonce,key);}
    t[1]=cpu(); for(int i=0;i<N;i++){ nonce[4]=i; crypto_stream_chacha20_ietf_xor_ic(buf,buf,len,nonce,1,key);}
    t[2]=cpu(); for(int i=0;i<N;i++){ crypto_onetimeauth_poly1305(tag,buf,len,key);}
    t[3]=cpu(); for(int i=0;i<N;i++){ crypto_shorthash_siphash24(h,buf+i%64,36,key);}
    t[4]=cpu(); for(int i=0;i<N;i++){ nonce[4]=i; EVP_EncryptInit_ex(ctx,NULL,NULL,NULL,nonce); EVP_EncryptUpdate(ctx,NULL,&ol,ad,16); EVP_EncryptUpdate(ctx,buf,&ol,buf,len); EVP_EncryptFinal_ex(ctx,buf+ol,&ol); EVP_CIPHER_CTX_ctrl(ctx,EVP_CTRL_AEAD_GET_TAG,16,tag);}
    t[5]=cpu(); for(int i=0;i<N;i++){ nonce[4]=i; EVP_EncryptInit_ex(gctx,NULL,NULL,NULL,nonce); EVP_EncryptUpdate(gctx,NULL,&ol,ad,16); EVP_EncryptUpdate(gctx,buf,&ol,buf,len); EVP_EncryptFinal_ex(gctx,buf+ol,&ol); EVP_CIPHER_CTX_ctrl(gctx,EVP_CTRL_AEAD_GET_TAG,16,tag);}
    t[6]=cpu(); if(aes) for(int i=0;i<N;i++){ nonce[4]=i; crypto_aead_aes256gcm_encrypt_detached_afternm(buf,tag,NULL,buf,len,ad,16,NULL,nonce,&st);}
    t[7]=cpu();
    for(int k=0;k<7;k++){ double v=(t[k+1]-t[k])/N*1e9; if(v<best[k]) best[k]=v; }
  }
  printf("%d B, best of 7 x %d, ns per call (ns/B): sodium chacha20poly1305-ietf %.0f (%.2f); its parts: chacha20 xor %.0f, poly1305 %.0f; siphash24(36 B) %.0f; openssl3 chacha20-poly1305 %.0f (%.2f); openssl3 aes-256-gcm %.0f (%.2f); sodium aes256gcm %s%.0f\n",
    len,N,best[0],best[0]/len,best[1],best[2],best[3],best[4],best[4]/len,best[5],best[5]/len,aes?"":"(unavailable) ",best[6]);
}
