namespace OrleansFlow.Sampling;

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy as
/// 1, 2, 3" (SC'11), as in Random123, cuRAND and JAX. Output depends only on (key, counter), so any
/// worker can compute the random numbers of any sample without sharing state.
/// </summary>
public static class Philox4x32
{
    private const uint MultiplierA = 0xD2511F53;
    private const uint MultiplierB = 0xCD9E8D57;
    private const uint WeylA = 0x9E3779B9;
    private const uint WeylB = 0xBB67AE85;
    private const int Rounds = 10;

    /// <summary>Encrypts the 128-bit counter under the 64-bit key; returns four 32-bit words.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) Generate(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var productA = (ulong)MultiplierA * c0;
            var productB = (ulong)MultiplierB * c2;
            var next0 = (uint)(productB >> 32) ^ c1 ^ k0;
            var next2 = (uint)(productA >> 32) ^ c3 ^ k1;
            c1 = (uint)productB;
            c3 = (uint)productA;
            c0 = next0;
            c2 = next2;
            k0 += WeylA;
            k1 += WeylB;
        }

        return (c0, c1, c2, c3);
    }
}
