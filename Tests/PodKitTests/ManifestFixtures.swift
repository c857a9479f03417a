/// The two manifests from the seed blog post, exactly as written there.
enum SeedManifests {
    static let alpineDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: alpine-deployment
        spec:
          selector:
            matchLabels:
              app: alpine
          replicas: 1
          template:
            metadata:
              labels:
                app: alpine
            spec:
              containers:
              - image: alpine:3.2
                command:
                  - /bin/sh
                  - "-c"
                  - "sleep 60m"
                imagePullPolicy: IfNotPresent
                name: alpine
                resources:
                  requests:
                    memory: 50Mi
                  limits:
                    memory: 100Mi
              nodeSelector:
                kubernetes.io/hostname: "ubuntu-nested-3"
              restartPolicy: Always

        """

    static let nginxWithSidecar = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: nginx-index
        data:
          index.html: "<html><head><title>Kano</title></head><body>Kano/鹿乃</body></html>"

        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: nginx-deployment
        spec:
          selector:
            matchLabels:
              app: nginx
          replicas: 1
          template:
            metadata:
              labels:
                app: nginx
            spec:
              volumes:
                - name: shared-logs
                  emptyDir: {}
                - name: nginx-index-cm
                  configMap:
                    name: nginx-index
              containers:
              - name: nginx
                image: nginx:latest
                ports:
                - containerPort: 80
                volumeMounts:
                  - name: shared-logs
                    mountPath: /var/log/nginx
                  - name: nginx-index-cm
                    mountPath: /usr/share/nginx/html/
                resources:
                  requests:
                    memory: 50Mi
                  limits:
                    memory: 100Mi

              - name: nginx-sidecar-container
                image: busybox
                command: ["sh","-c","while true; do cat /var/log/nginx/access.log; sleep 30; done"]
                volumeMounts:
                  - name: shared-logs
                    mountPath: /var/log/nginx
                    readOnly: true

              nodeSelector:
                kubernetes.io/hostname: "ubuntu-nested-3"
              restartPolicy: Always
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: nginx-deployment
          namespace: default
          labels:
            app: nginx
        spec:
          ports:
          - name: http
            port: 80
            protocol: TCP
            targetPort: 80
          selector:
            app: nginx
          type: LoadBalancer

        """
}
