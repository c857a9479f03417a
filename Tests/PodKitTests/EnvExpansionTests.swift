import Testing

@testable import PodKit

/// kubelet's `$(VAR)` expansion: the table of `third_party/forked/golang/expansion/expand_test.go`
/// (kubernetes/kubernetes), run with both of its mappings.
@Suite("$(VAR) expansion (kubelet expansion.Expand)")
struct EnvExpansionTests {
    static let cases: [(name: String, input: String, expected: String)] = [
        ("whole string", "$(VAR_A)", "A"),
        ("repeat", "$(VAR_A)-$(VAR_A)", "A-A"),
        ("beginning", "$(VAR_A)-1", "A-1"),
        ("middle", "___$(VAR_B)___", "___B___"),
        ("end", "___$(VAR_C)", "___C"),
        ("compound", "$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"),
        ("escape & expand", "$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"),
        ("compound escape", "$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)"),
        ("mixed in escapes", "f000-$$VAR_A", "f000-$VAR_A"),
        ("backslash escape ignored", "foo\\$(VAR_C)bar", "foo\\Cbar"),
        ("backslash escape ignored", "foo\\\\$(VAR_C)bar", "foo\\\\Cbar"),
        ("lots of backslashes", "foo\\\\\\\\$(VAR_A)bar", "foo\\\\\\\\Abar"),
        ("nested var references", "$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))"),
        ("nested var references second type", "$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"),
        ("value is a reference", "$(VAR_REF)", "$(VAR_A)"),
        ("value is a reference x 2", "%%$(VAR_REF)--$(VAR_REF)%%", "%%$(VAR_A)--$(VAR_A)%%"),
        ("empty var", "foo$(VAR_EMPTY)bar", "foobar"),
        ("unterminated expression", "foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!"),
        ("expression without operator", "f00__(VAR_A)__", "f00__(VAR_A)__"),
        ("shell special vars pass through", "$?_boo_$!", "$?_boo_$!"),
        ("bare operators are ignored", "$VAR_A", "$VAR_A"),
        ("undefined vars are passed through", "$(VAR_DNE)", "$(VAR_DNE)"),
        ("multiple (even) operators, var undefined", "$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)"),
        ("multiple (even) operators, var defined", "$$$$$$(VAR_A)", "$$$(VAR_A)"),
        ("multiple (odd) operators, var undefined", "$$$$$$$(GOOD_ODDS)", "$$$$(GOOD_ODDS)"),
        ("multiple (odd) operators, var defined", "$$$$$$$(VAR_A)", "$$$A"),
        ("missing open expression", "$VAR_A)", "$VAR_A)"),
        ("shell syntax ignored", "${VAR_A}", "${VAR_A}"),
        ("trailing incomplete expression not consumed", "$(VAR_B)_______$(A", "B_______$(A"),
        ("trailing incomplete expression, no content, is not consumed", "$(VAR_C)_______$(", "C_______$("),
        ("operator at end of input string is preserved", "$(VAR_A)foobarzab$", "Afoobarzab$"),
        ("shell escaped incomplete expr", "foo-\\$(VAR_A", "foo-\\$(VAR_A"),
        ("lots of $( in middle", "--$($($($($--", "--$($($($($--"),
        ("lots of $( in beginning", "$($($($($--foo$(", "$($($($($--foo$("),
        ("lots of $( at end", "foo0--$($($($(", "foo0--$($($($("),
        ("escaped operators in variable names are not escaped", "$(foo$$var)", "$(foo$$var)"),
        ("newline not expanded", "\n", "\n"),
    ]

    @Test("TestMapping: one context")
    func mapping() {
        let mapping = EnvExpansion.mapping(["VAR_A": "A", "VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)", "VAR_EMPTY": ""])
        for test in Self.cases {
            #expect(EnvExpansion.expand(test.input, mapping: mapping) == test.expected, "\(test.name)")
        }
    }

    @Test("TestMappingDual: the first context wins, the second is consulted")
    func mappingDual() {
        let mapping = EnvExpansion.mapping(["VAR_A": "A", "VAR_EMPTY": ""], ["VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)"])
        for test in Self.cases {
            #expect(EnvExpansion.expand(test.input, mapping: mapping) == test.expected, "\(test.name)")
        }
    }

    @Test("TestMapReference: each value expands against the variables before it")
    func mapReference() throws {
        var container = try #require(try ManifestParser().parse(yaml: """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
              - name: c
                image: busybox
                env:
                - {name: FOO, value: bar}
                - {name: ZOO, value: "$(FOO)-1"}
                - {name: BLU, value: "$(ZOO)-2"}
                - {name: LATE, value: "$(NEXT)"}
                - {name: NEXT, value: "x"}
            """, file: "p.yaml").pods.first?.containers.first)
        container.command = ["echo", "$(BLU)", "$$(BLU)", "$(UNDEFINED)"]
        container.args = ["$(LATE)"]
        let pod = try #require(try ManifestParser().parse(yaml: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox}]}", file: "p.yaml").pods.first)
        var skipped: [String] = []
        let variables = try ContainerEnvironment.variables(for: container, in: pod, downward: EnvironmentFixtures.downward, node: EnvironmentFixtures.node, skippedKeys: &skipped)
        #expect(variables.map { "\($0.name)=\($0.value)" } == ["FOO=bar", "ZOO=bar-1", "BLU=bar-1-2", "LATE=$(NEXT)", "NEXT=x"])
        let expanded = ContainerEnvironment.expandCommandAndArgs(container, variables: variables)
        #expect(expanded.command == ["echo", "bar-1-2", "$(BLU)", "$(UNDEFINED)"])
        #expect(expanded.args == ["$(NEXT)"])
    }
}

enum EnvironmentFixtures {
    static let downward = DownwardAPIValues(podName: "p", namespace: "default", uid: "uid-1", labels: ["app": "web"], annotations: [:],
                                            podIP: "10.224.0.5", hostIP: "10.224.0.1", nodeName: "node")
    static let node = NodeAllocatable(milliCPU: 2000, memoryBytes: 4 << 30)
}
