/// Small valid profiles that tests change one line at a time.
enum ProfileTexts {
    static let hostPrivateKey = "YMBEyi5DFC1N4ARXZvri8IKs1yqn2PZQHNS/YFM2u1c="
    static let routerPublicKey = "pyr0A3x/dpLHVbkMeVieLDJgDWReL9spcE5H59z3dCI="

    /// A host with an inline key; `interface:` is on line 3.
    static let host = """
        name: vm0
        private-key: \(hostPrivateKey)
        interface:
          name: ml-vm0
          address: 10.77.0.10/24
        router:
          public-key: \(routerPublicKey)
          endpoints: [192.168.0.3:7000]
          virtual-ip: 10.77.0.1

        """
}
