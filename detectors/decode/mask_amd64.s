#include "textflag.h"

// The base64 alphabet test of maskTable (inB64), sixteen bytes at a
// time: a byte is in it when (b|0x20) is a lower-case letter, or b is a
// digit, or one of + / - _. The ranges are tested with a signed compare
// after moving the range's first byte to -128.
DATA b64const<>+0x00(SB)/8, $0x2020202020202020 // case bit
DATA b64const<>+0x08(SB)/8, $0x2020202020202020
DATA b64const<>+0x10(SB)/8, $0x1f1f1f1f1f1f1f1f // 128 - 'a'
DATA b64const<>+0x18(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA b64const<>+0x20(SB)/8, $0x9a9a9a9a9a9a9a9a // -128 + 26
DATA b64const<>+0x28(SB)/8, $0x9a9a9a9a9a9a9a9a
DATA b64const<>+0x30(SB)/8, $0x5050505050505050 // 128 - '0'
DATA b64const<>+0x38(SB)/8, $0x5050505050505050
DATA b64const<>+0x40(SB)/8, $0x8a8a8a8a8a8a8a8a // -128 + 10
DATA b64const<>+0x48(SB)/8, $0x8a8a8a8a8a8a8a8a
DATA b64const<>+0x50(SB)/8, $0x2b2b2b2b2b2b2b2b // +
DATA b64const<>+0x58(SB)/8, $0x2b2b2b2b2b2b2b2b
DATA b64const<>+0x60(SB)/8, $0x2f2f2f2f2f2f2f2f // /
DATA b64const<>+0x68(SB)/8, $0x2f2f2f2f2f2f2f2f
DATA b64const<>+0x70(SB)/8, $0x2d2d2d2d2d2d2d2d // -
DATA b64const<>+0x78(SB)/8, $0x2d2d2d2d2d2d2d2d
DATA b64const<>+0x80(SB)/8, $0x5f5f5f5f5f5f5f5f // _
DATA b64const<>+0x88(SB)/8, $0x5f5f5f5f5f5f5f5f
GLOBL b64const<>(SB), RODATA|NOPTR, $0x90

// CLASSIFY sets the low 16 bits of R to the alphabet mask of the sixteen
// bytes at off(SI). X5, X6 and X8-X14 hold the constants; X0-X4 are
// scratch.
#define CLASSIFY(off, R) \
	MOVOU off(SI), X0 \
	MOVO  X0, X1 \
	POR   X8, X1 \
	PADDB X9, X1 \
	MOVO  X10, X2 \
	PCMPGTB X1, X2 \
	MOVO  X0, X3 \
	PADDB X11, X3 \
	MOVO  X12, X4 \
	PCMPGTB X3, X4 \
	POR   X4, X2 \
	MOVO  X0, X3 \
	PCMPEQB X13, X3 \
	POR   X3, X2 \
	MOVO  X0, X3 \
	PCMPEQB X14, X3 \
	POR   X3, X2 \
	MOVO  X0, X3 \
	PCMPEQB X6, X3 \
	POR   X3, X2 \
	PCMPEQB X5, X0 \
	POR   X0, X2 \
	PMOVMSKB X2, R

// func maskBlocksSSE2(p *byte, n int, out *uint64)
TEXT ·maskBlocksSSE2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), R8
	MOVQ out+16(FP), DI
	MOVOU b64const<>+0x00(SB), X8
	MOVOU b64const<>+0x10(SB), X9
	MOVOU b64const<>+0x20(SB), X10
	MOVOU b64const<>+0x30(SB), X11
	MOVOU b64const<>+0x40(SB), X12
	MOVOU b64const<>+0x50(SB), X13
	MOVOU b64const<>+0x60(SB), X14
	MOVOU b64const<>+0x70(SB), X6
	MOVOU b64const<>+0x80(SB), X5
loop:
	TESTQ R8, R8
	JEQ   done
	CLASSIFY(0, AX)
	CLASSIFY(16, BX)
	CLASSIFY(32, CX)
	CLASSIFY(48, DX)
	SHLQ $16, BX
	SHLQ $32, CX
	SHLQ $48, DX
	ORQ  BX, AX
	ORQ  CX, AX
	ORQ  DX, AX
	MOVQ AX, (DI)
	ADDQ $64, SI
	ADDQ $8, DI
	DECQ R8
	JMP  loop
done:
	RET
